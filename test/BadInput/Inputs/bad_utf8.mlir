ÿþ func.func @f() {
  return
}
