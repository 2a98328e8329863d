// Only comments and blank lines.

   
// module {
