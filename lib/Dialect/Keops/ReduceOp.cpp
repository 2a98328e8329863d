//===- ReduceOp.cpp - keops.reduce: syntax, builder, verifier ------------===//

#include "keops/Dialect/Keops.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::keops;

/// "vector<D x f32>" or "vector<1xf32>", as plain text.
static std::string formulaTypeName(Type elementType, int64_t dim = -1) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "vector<" << (dim < 0 ? std::string("D x ") : std::to_string(dim) + "x")
     << elementType << ">";
  return text;
}

//===----------------------------------------------------------------------===//
// Reduction kinds
//===----------------------------------------------------------------------===//

unsigned ReduceOp::getNumOutputs(ReductionKind kind) {
  switch (kind) {
  case ReductionKind::MinArgMin:
  case ReductionKind::MaxArgMax:
  case ReductionKind::KMinArgKMin:
    return 2;
  default:
    return 1;
  }
}

bool ReduceOp::isIndexOutput(ReductionKind kind, unsigned index) {
  switch (kind) {
  case ReductionKind::ArgMin:
  case ReductionKind::ArgMax:
  case ReductionKind::ArgKMin:
    return true;
  case ReductionKind::MinArgMin:
  case ReductionKind::MaxArgMax:
  case ReductionKind::KMinArgKMin:
    return index == 1;
  default:
    return false;
  }
}

bool ReduceOp::needsK(ReductionKind kind) {
  return kind == ReductionKind::KMin || kind == ReductionKind::ArgKMin ||
         kind == ReductionKind::KMinArgKMin;
}

Category ReduceOp::getCategory(unsigned index) {
  return cast<CategoryAttr>(getCategories()[index]).getValue();
}

FloatType ReduceOp::getElementType() {
  for (Value in : getIns())
    if (auto shaped = dyn_cast<ShapedType>(in.getType()))
      if (auto ft = dyn_cast<FloatType>(shaped.getElementType()))
        return ft;
  return {};
}

bool ReduceOp::isIntegerInput(unsigned index) {
  auto shaped = dyn_cast<ShapedType>(getIns()[index].getType());
  return shaped && isa<IntegerType>(shaped.getElementType());
}

YieldOp ReduceOp::getYield() {
  return cast<YieldOp>(getFormula().front().getTerminator());
}

/// Formula ops whose value depends on the indices of the pair, not only on
/// their operands.
static bool readsLoopIndices(Operation *op) { return isa<SelectIndexOp>(op); }

llvm::DenseMap<Value, unsigned> ReduceOp::getSides() {
  Block &body = getFormula().front();
  llvm::DenseMap<Value, unsigned> sides;
  for (BlockArgument arg : body.getArguments()) {
    Category c = getCategory(arg.getArgNumber());
    sides[arg] = c == Category::P           ? NoSide
                 : c == getKeptCategory()   ? KeptSide
                                            : ReducedSide;
  }
  for (Operation &op : body.without_terminator()) {
    unsigned side = NoSide;
    // Ops with regions or effects, and index comparisons (which the
    // backends evaluate with the loop indices of a pair), are taken to
    // depend on both sides.
    if (op.getNumRegions() || !isPure(&op) || readsLoopIndices(&op))
      side = KeptSide | ReducedSide;
    for (Value x : op.getOperands())
      side |= sides.lookup(x);
    for (Value r : op.getResults())
      sides[r] = side;
  }
  return sides;
}

llvm::DenseMap<Operation *, ReduceOp::Invariance> ReduceOp::getInvariance() {
  llvm::DenseMap<Value, unsigned> sides = getSides();
  llvm::DenseMap<Operation *, Invariance> result;
  for (Operation &op : getFormula().front().without_terminator()) {
    // The most variable operand decides; ops that read the indices vary
    // with every pair whatever their operands.
    unsigned side = op.getNumResults() ? sides.lookup(op.getResult(0))
                                       : unsigned(KeptSide | ReducedSide);
    result[&op] = side & ReducedSide ? Invariance::Pair
                  : side & KeptSide  ? Invariance::Row
                                     : Invariance::Reduction;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Formula ops
//===----------------------------------------------------------------------===//

bool mlir::keops::isFormulaOp(Operation *op) {
  if (isa<KeopsDialect>(op->getDialect()))
    return !isa<ReduceOp>(op);
  // Upstream ops whose semantics on vector<D x T> are exactly what a formula
  // needs: IEEE arithmetic, elementary functions, broadcasting, slicing.
  if (isa<arith::ConstantOp, arith::AddFOp, arith::SubFOp, arith::MulFOp,
          arith::DivFOp, arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp>(
          op) ||
      isa<math::ExpOp, math::LogOp, math::SinOp, math::CosOp, math::TanOp,
          math::AsinOp, math::AcosOp, math::AtanOp, math::Atan2Op,
          math::SinhOp, math::CoshOp, math::TanhOp, math::SqrtOp,
          math::RsqrtOp, math::AbsFOp, math::FloorOp, math::CeilOp,
          math::PowFOp, math::ErfOp>(op) ||
      isa<vector::BroadcastOp, vector::ExtractStridedSliceOp,
          vector::ShuffleOp>(op))
    return true;
  return isExpandedFormulaOp(op);
}

bool mlir::keops::isExpandedFormulaOp(Operation *op) {
  // What keops-expand-formulas produces besides the ops above: comparisons,
  // selections and masks, fused multiply-adds, rounding, and the scalar
  // views of a vector (reductions, extraction, construction).
  return isa<arith::CmpFOp, arith::SelectOp, arith::UIToFPOp, arith::AndIOp,
             arith::OrIOp, arith::XOrIOp>(op) ||
         isa<math::FmaOp, math::CopySignOp, math::RoundOp, math::TruncOp>(op) ||
         isa<vector::ReductionOp, vector::ExtractOp, vector::FromElementsOp,
             vector::InsertOp, vector::FMAOp>(op);
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

/// The type of the per-pair value of an input array: the last dimension of
/// an i/j array (rows x D) or the only one of a parameter (D).
static VectorType variableType(Type inputType) {
  auto shaped = dyn_cast<ShapedType>(inputType);
  if (!shaped || !shaped.hasRank() || shaped.getRank() < 1 ||
      shaped.isDynamicDim(shaped.getRank() - 1))
    return {};
  return VectorType::get({shaped.getDimSize(shaped.getRank() - 1)},
                         shaped.getElementType());
}

void ReduceOp::build(OpBuilder &builder, OperationState &state,
                     ReductionKind kind, Axis axis, ValueRange ins,
                     ArrayRef<Category> categories, ValueRange outs,
                     std::optional<int64_t> k, ValueRange ranges,
                     bool partial, Value first) {
  MLIRContext *ctx = builder.getContext();
  state.addOperands(ins);
  state.addOperands(outs);
  state.addOperands(ranges);
  if (first)
    state.addOperands(first);
  Properties &props = state.getOrAddProperties<Properties>();
  props.operandSegmentSizes = {static_cast<int32_t>(ins.size()),
                               static_cast<int32_t>(outs.size()),
                               static_cast<int32_t>(ranges.size()),
                               first ? 1 : 0};
  if (partial)
    props.partial = builder.getUnitAttr();
  props.kind = ReductionKindAttr::get(ctx, kind);
  props.axis = AxisAttr::get(ctx, axis);
  props.categories = builder.getArrayAttr(llvm::to_vector(
      llvm::map_range(categories, [&](Category c) -> Attribute {
        return CategoryAttr::get(ctx, c);
      })));
  if (k)
    props.k = builder.getI64IntegerAttr(*k);
  for (Value out : outs)
    if (isa<RankedTensorType>(out.getType()))
      state.addTypes(out.getType());
  Region *region = state.addRegion();
  Block *block = new Block();
  region->push_back(block);
  for (Value in : ins) {
    VectorType type = variableType(in.getType());
    block->addArgument(type ? Type(type) : in.getType(), state.location);
  }
}

//===----------------------------------------------------------------------===//
// Syntax:
//   keops.reduce <kind> [k = <K>] over <axis> [partial [from %first]]
//       ins(%a : <category> <type>, ...) outs(%o : <type>, ...)
//       [ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : <6 types>)]
//       [attributes {...}] <region> [-> <result types>]
//===----------------------------------------------------------------------===//

ParseResult ReduceOp::parse(OpAsmParser &parser, OperationState &result) {
  MLIRContext *ctx = parser.getContext();
  Properties &props = result.getOrAddProperties<Properties>();

  StringRef word;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&word))
    return failure();
  std::optional<ReductionKind> kind = symbolizeReductionKind(word);
  if (!kind)
    return parser.emitError(loc, "unknown reduction kind '")
           << word
           << "'; expected sum, min, max, argmin, argmax, min_argmin, "
              "max_argmax, kmin, argkmin, kmin_argkmin, logsumexp or "
              "sumsoftmaxweight";
  props.kind = ReductionKindAttr::get(ctx, *kind);

  if (succeeded(parser.parseOptionalKeyword("k"))) {
    int64_t k;
    if (parser.parseEqual() || parser.parseInteger(k))
      return failure();
    props.k = IntegerAttr::get(IntegerType::get(ctx, 64), k);
  }

  if (parser.parseKeyword("over"))
    return failure();
  loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&word))
    return failure();
  std::optional<Axis> axis = symbolizeAxis(word);
  if (!axis)
    return parser.emitError(loc, "unknown reduction axis '")
           << word << "'; expected i or j";
  props.axis = AxisAttr::get(ctx, *axis);

  std::optional<OpAsmParser::UnresolvedOperand> first;
  if (succeeded(parser.parseOptionalKeyword("partial"))) {
    props.partial = UnitAttr::get(ctx);
    if (succeeded(parser.parseOptionalKeyword("from")) &&
        parser.parseOperand(first.emplace()))
      return failure();
  }

  SmallVector<OpAsmParser::UnresolvedOperand> ins, outs;
  SmallVector<Type> inTypes, outTypes;
  SmallVector<Attribute> categories;
  auto parseInput = [&]() -> ParseResult {
    SMLoc catLoc;
    StringRef cat;
    if (parser.parseOperand(ins.emplace_back()) || parser.parseColon())
      return failure();
    catLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&cat))
      return failure();
    std::optional<Category> c = symbolizeCategory(cat);
    if (!c)
      return parser.emitError(catLoc, "unknown variable category '")
             << cat << "'; expected i, j or p";
    categories.push_back(CategoryAttr::get(ctx, *c));
    return parser.parseType(inTypes.emplace_back());
  };
  auto parseOutput = [&]() -> ParseResult {
    if (parser.parseOperand(outs.emplace_back()) || parser.parseColon())
      return failure();
    return parser.parseType(outTypes.emplace_back());
  };
  SMLoc insLoc = parser.getCurrentLocation();
  if (parser.parseKeyword("ins") ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Paren, parseInput))
    return failure();
  SMLoc outsLoc = parser.getCurrentLocation();
  if (parser.parseKeyword("outs") ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Paren, parseOutput))
    return failure();
  SmallVector<OpAsmParser::UnresolvedOperand> ranges;
  SmallVector<Type> rangeTypes;
  SMLoc rangesLoc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalKeyword("ranges")) &&
      (parser.parseLParen() || parser.parseOperandList(ranges) ||
       parser.parseColonTypeList(rangeTypes) || parser.parseRParen()))
    return failure();
  props.categories = ArrayAttr::get(ctx, categories);
  props.operandSegmentSizes = {static_cast<int32_t>(ins.size()),
                               static_cast<int32_t>(outs.size()),
                               static_cast<int32_t>(ranges.size()),
                               first ? 1 : 0};
  if (parser.resolveOperands(ins, inTypes, insLoc, result.operands) ||
      parser.resolveOperands(outs, outTypes, outsLoc, result.operands) ||
      parser.resolveOperands(ranges, rangeTypes, rangesLoc, result.operands) ||
      (first && parser.resolveOperand(*first, IndexType::get(ctx),
                                      result.operands)))
    return failure();

  SMLoc attrLoc = parser.getCurrentLocation();
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  for (StringRef name : {"kind", "axis", "categories", "k", "partial",
                         "operandSegmentSizes"})
    if (result.attributes.get(name))
      return parser.emitError(attrLoc, "attribute '")
             << name << "' is given by the syntax of keops.reduce, not by "
                        "its attribute dictionary";
  Region *region = result.addRegion();
  if (parser.parseRegion(*region, /*arguments=*/{}))
    return failure();
  if (region->empty())
    return parser.emitError(parser.getCurrentLocation(),
                            "expected a formula region with one block");
  if (succeeded(parser.parseOptionalArrow()) &&
      parser.parseTypeList(result.types))
    return failure();
  return success();
}

void ReduceOp::print(OpAsmPrinter &p) {
  p << ' ' << stringifyReductionKind(getKind());
  if (std::optional<uint64_t> k = getK())
    p << " k = " << static_cast<int64_t>(*k);
  p << " over " << stringifyAxis(getAxis());
  if (getPartial()) {
    p << " partial";
    if (Value first = getFirst())
      p << " from " << first;
  }
  p << " ins(";
  llvm::interleaveComma(llvm::enumerate(getIns()), p, [&](auto it) {
    p << it.value() << " : " << stringifyCategory(getCategory(it.index()))
      << ' ' << it.value().getType();
  });
  p << ") outs(";
  llvm::interleaveComma(getOuts(), p, [&](Value v) {
    p << v << " : " << v.getType();
  });
  p << ")";
  if (hasRanges()) {
    p << " ranges(" << getRanges() << " : ";
    llvm::interleaveComma(getRanges().getTypes(), p);
    p << ")";
  }
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {"kind", "axis", "categories", "k", "partial",
                            "operandSegmentSizes"});
  p << ' ';
  p.printRegion(getFormula(), /*printEntryBlockArgs=*/true,
                /*printBlockTerminators=*/true);
  if (!getResults().empty()) {
    p << " -> ";
    llvm::interleaveComma(getResultTypes(), p);
  }
}

//===----------------------------------------------------------------------===//
// Memory effects: memref inputs are read, memref outputs written.
//===----------------------------------------------------------------------===//

void ReduceOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getInsMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  for (OpOperand &operand : getRangesMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  for (OpOperand &operand : getOutsMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
}


//===----------------------------------------------------------------------===//
// Verifier: everything that does not need the formula.
//===----------------------------------------------------------------------===//

/// Checks that a static extent agrees with the one seen before (if any).
static LogicalResult checkExtent(ReduceOp op, int64_t &seen,
                                 std::string &seenBy, int64_t extent,
                                 const std::string &by, StringRef what) {
  if (ShapedType::isDynamic(extent))
    return success();
  if (!ShapedType::isDynamic(seen) && seen != extent)
    return op.emitOpError() << "the number of " << what << " is " << seen
                            << " for " << seenBy << " but " << extent
                            << " for " << by;
  seen = extent;
  seenBy = by;
  return success();
}

int64_t ReduceOp::getBatchRank() {
  if (getOuts().empty())
    return 0;
  auto type = dyn_cast<ShapedType>(getOuts()[0].getType());
  return type && type.hasRank() && type.getRank() >= 2 ? type.getRank() - 2
                                                       : 0;
}

bool ReduceOp::isBroadcastAxis(ShapedType type, int64_t axis) {
  return type.getDimSize(axis) == 1;
}

SmallVector<bool> ReduceOp::getBroadcastAxes(unsigned index) {
  auto type = cast<ShapedType>(getIns()[index].getType());
  SmallVector<bool> axes;
  for (int64_t a = 0, e = getBatchRank(); a < e; ++a)
    axes.push_back(isBroadcastAxis(type, a));
  return axes;
}

/// The batch axes: the outputs give the reduction's extents (and agree); an
/// input's extent is that one, or a static 1 that broadcasts the input
/// along the axis. Called once the ranks are checked.
LogicalResult ReduceOp::verifyBatchExtents() {
  int64_t batchRank = getBatchRank();
  for (int64_t axis = 0; axis < batchRank; ++axis) {
    int64_t extent = ShapedType::kDynamic;
    std::string by;
    for (auto [index, value] : llvm::enumerate(getOuts()))
      if (failed(checkExtent(*this, extent, by,
                             cast<ShapedType>(value.getType()).getDimSize(axis),
                             ("output #" + Twine(index)).str(),
                             ("batch axis " + Twine(axis)).str() +
                                 " elements")))
        return failure();
    for (auto [index, value] : llvm::enumerate(getIns())) {
      int64_t size = cast<ShapedType>(value.getType()).getDimSize(axis);
      if (size == 1 || ShapedType::isDynamic(size) ||
          ShapedType::isDynamic(extent) || size == extent)
        continue;
      return emitOpError() << "input #" << index << " has " << size
                           << " elements on batch axis " << axis
                           << " but the outputs have " << extent
                           << "; an input's batch extent is the "
                              "reduction's, or 1 to broadcast the input";
    }
  }
  return success();
}

LogicalResult ReduceOp::verify() {
  ReductionKind kind = getKind();
  StringRef kindName = stringifyReductionKind(kind);
  if (getCategories().size() != getIns().size())
    return emitOpError() << "expects one category per input, got "
                         << getCategories().size() << " categories for "
                         << getIns().size() << " inputs";
  if (getIns().empty())
    return emitOpError() << "needs at least one input variable";

  // Inputs: i/j variables are rows x D arrays, parameters D-vectors, all with
  // one floating-point element type, but for index variables (i32, i64).
  // Every operand starts with the reduction's batch axes.
  int64_t batchRank = getBatchRank();
  Type elementType;
  int64_t firstFloat = -1;
  int64_t rows[2] = {ShapedType::kDynamic, ShapedType::kDynamic};
  std::string rowsBy[2];
  bool hasCategory[3] = {false, false, false};
  for (auto [index, value] : llvm::enumerate(getIns())) {
    Category cat = getCategory(index);
    hasCategory[static_cast<int>(cat)] = true;
    auto type = cast<ShapedType>(value.getType());
    if (!isa<TensorType, BaseMemRefType>(type))
      return emitOpError() << "input #" << index
                           << " must be a tensor or a memref, got " << type;
    int64_t wantRank = (cat == Category::P ? 1 : 2) + batchRank;
    if (!type.hasRank() || type.getRank() != wantRank) {
      InFlightDiagnostic diag = emitOpError()
                                << "input #" << index << " (category "
                                << stringifyCategory(cat) << ") must be ";
      if (batchRank == 0)
        diag << (cat == Category::P ? "a 1-D array (D)"
                                    : "a 2-D array (rows x D)");
      else
        diag << "a " << wantRank << "-D array (" << batchRank
             << " batch axes, " << (cat == Category::P ? "D" : "rows, D")
             << ") like the outputs' batch axes";
      return diag << ", got " << type;
    }
    if (type.isDynamicDim(wantRank - 1))
      return emitOpError() << "input #" << index
                           << " must have a static vector dimension, got "
                           << type;
    int64_t dim = type.getDimSize(wantRank - 1);
    if (dim < 1 || dim > kMaxFormulaDim)
      return emitOpError() << "input #" << index << " has vector dimension "
                           << dim << "; it must be in [1, " << kMaxFormulaDim
                           << "]";
    Type elt = type.getElementType();
    if (elt.isSignlessInteger(32) || elt.isSignlessInteger(64)) {
      // An index variable: only keops.select_index may use it.
    } else if (!elt.isF16() && !elt.isF32() && !elt.isF64()) {
      return emitOpError() << "input #" << index
                           << " must hold f16, f32 or f64 values (or i32 or "
                              "i64 indices), got "
                           << elt;
    } else if (!elementType) {
      elementType = elt;
      firstFloat = index;
    } else if (elt != elementType) {
      return emitOpError() << "input #" << index << " has element type "
                           << elt << " but input #" << firstFloat << " has "
                           << elementType
                           << "; all float variables share one element type";
    }
    if (cat != Category::P) {
      int c = static_cast<int>(cat);
      if (failed(checkExtent(*this, rows[c], rowsBy[c],
                             type.getDimSize(batchRank),
                             ("input #" + Twine(index)).str(),
                             cat == Category::I ? "rows (M)"
                                                          : "columns (N)")))
        return failure();
    }
  }
  if (!elementType)
    return emitOpError() << "needs at least one floating-point input "
                            "variable (f16, f32 or f64), whose type is that "
                            "of the formula; all inputs are index variables";
  if (!hasCategory[static_cast<int>(getReducedCategory())])
    return emitOpError() << "a reduction over "
                         << stringifyAxis(getAxis()) << " needs at least one "
                         << stringifyCategory(getReducedCategory())
                         << " variable to give the number of "
                         << (getAxis() == Axis::J ? "columns" : "rows");

  // K.
  if (needsK(kind)) {
    if (!getK())
      return emitOpError() << "reduction '" << kindName
                           << "' needs the attribute k";
    int64_t k = static_cast<int64_t>(*getK());
    if (k < 1 || k > kMaxFormulaDim)
      return emitOpError() << "reduction '" << kindName
                           << "' needs k in [1, " << kMaxFormulaDim
                           << "], got " << k;
  } else if (getK()) {
    return emitOpError() << "reduction '" << kindName << "' takes no k";
  }

  // Outputs: those of the kind, or its state's arrays.
  if (getFirst() && !getPartial())
    return emitOpError() << "takes a first reduced index only when partial";
  bool partial = getPartial();
  SmallVector<OutputArray> layout = getOutputLayout(kind, 1, 1, 1, partial);
  unsigned numOutputs = layout.size();
  if (getOuts().size() != numOutputs)
    return emitOpError() << (partial ? "partial reduction '" : "reduction '")
                         << kindName << "' writes " << numOutputs
                         << (partial ? " state array" : " output")
                         << (numOutputs == 1 ? "" : "s") << ", got "
                         << getOuts().size();
  bool tensors = isa<RankedTensorType>(getOuts()[0].getType());
  int kept = static_cast<int>(getKeptCategory());
  for (auto [index, value] : llvm::enumerate(getOuts())) {
    auto type = dyn_cast<ShapedType>(value.getType());
    if (!type || !type.hasRank() || type.getRank() != 2 + batchRank ||
        !(isa<RankedTensorType>(type) || isa<MemRefType>(type)))
      return emitOpError() << "output #" << index << " must be a "
                           << 2 + batchRank << "-D tensor or memref"
                           << (batchRank ? " (batch axes, rows, width)"
                                         : "")
                           << ", got " << value.getType();
    if (isa<RankedTensorType>(type) != tensors)
      return emitOpError() << "outputs must be all tensors or all memrefs";
    Type elt = type.getElementType();
    if (layout[index].isIndex) {
      if (!elt.isSignlessInteger(32) && !elt.isSignlessInteger(64))
        return emitOpError() << "output #" << index << " of '" << kindName
                             << "' holds indices and must have element type "
                                "i32 or i64, got "
                             << elt;
    } else if (elt != elementType) {
      return emitOpError() << "output #" << index << " has element type "
                           << elt << " but the variables have "
                           << elementType;
    }
    if (failed(checkExtent(*this, rows[kept], rowsBy[kept],
                           type.getDimSize(batchRank),
                           ("output #" + Twine(index)).str(),
                           kept == 0 ? "rows (M)" : "columns (N)")))
      return failure();
  }
  if (failed(verifyBatchExtents()) || failed(verifyRanges()))
    return failure();
  if (tensors) {
    if (getResults().size() != getOuts().size() ||
        getResultTypes() != getOuts().getTypes())
      return emitOpError()
             << "with tensor outputs, the results must have the outputs' "
                "types";
  } else if (!getResults().empty()) {
    return emitOpError() << "with memref outputs, the op has no results";
  }

  // Index variables are no formula values: keops.select_index compares them
  // with the current index, and nothing else may use them. Checked here,
  // before the formula's ops are verified, so that this message comes first
  // (an arith or keops op would only say that its operand is no float).
  Region &formula = getFormula();
  if (formula.empty())
    return success();
  Block &body = formula.front();
  for (auto [index, arg] : llvm::enumerate(body.getArguments())) {
    if (index >= getIns().size() || !isIntegerInput(index))
      continue;
    for (OpOperand &use : arg.getUses()) {
      if (isa<SelectIndexOp>(use.getOwner()) && use.getOperandNumber() == 0)
        continue;
      return use.getOwner()->emitOpError()
             << "uses index variable #" << index << " (" << arg.getType()
             << ") as operand #" << use.getOperandNumber()
             << "; an index variable may only be the first operand of "
                "keops.select_index";
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Region verifier: the formula.
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verifyRegions() {
  Block &body = getFormula().front();
  if (body.getNumArguments() != getIns().size())
    return emitOpError() << "the formula has " << body.getNumArguments()
                         << " block arguments for " << getIns().size()
                         << " inputs";
  Type elementType = getElementType();
  for (auto [index, arg] : llvm::enumerate(body.getArguments())) {
    VectorType want = variableType(getIns()[index].getType());
    if (arg.getType() != want)
      return emitOpError() << "block argument #" << index << " has type "
                           << arg.getType() << " but input #" << index
                           << " of type " << getIns()[index].getType()
                           << " holds " << want << " values";
  }
  if (body.empty() || !isa<YieldOp>(body.back()))
    return emitOpError() << "the formula must end with keops.yield";

  for (Operation &op : body.without_terminator()) {
    if (!isFormulaOp(&op))
      return op.emitOpError()
             << "is not allowed in a keops formula; a formula holds keops "
                "ops and the arith, math and vector ops listed in "
                "docs/architecture.md";
    // Formula values are vector<D x T>; expanded formulas also hold their
    // scalars T and masks (i1, vector<D x i1>).
    for (Type t : op.getResultTypes()) {
      auto vt = dyn_cast<VectorType>(t);
      Type elt = vt ? vt.getElementType() : t;
      bool shapeOk = !vt || (vt.getRank() == 1 && !vt.isScalable() &&
                             vt.getDimSize(0) <= kMaxFormulaDim);
      bool eltOk = elt == elementType || elt.isInteger(1);
      if (!shapeOk || !eltOk || (!vt && !isExpandedFormulaOp(&op)))
        return op.emitOpError() << "produces " << t
                                << "; every formula value must be a "
                                << formulaTypeName(elementType);
    }
  }

  // A Gram entry pairs a kept-side row with a reduced-side column.
  llvm::DenseMap<Value, unsigned> sides = getSides();
  WalkResult sided = body.walk([&](GramOp gram) {
    if (sides.lookup(gram.getLhs()) & ReducedSide ||
        sides.lookup(gram.getRhs()) & KeptSide) {
      gram.emitOpError() << "needs a left operand that depends on no "
                            "reduced variable and a right operand that "
                            "depends on no kept variable";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (sided.wasInterrupted())
    return failure();

  ReductionKind kind = getKind();
  StringRef kindName = stringifyReductionKind(kind);
  YieldOp yield = getYield();
  unsigned minYield = kind == ReductionKind::SumSoftmaxWeight ? 2 : 1;
  unsigned maxYield = (kind == ReductionKind::SumSoftmaxWeight ||
                       kind == ReductionKind::LogSumExp)
                          ? 2
                          : 1;
  unsigned numYield = yield.getValues().size();
  if (numYield < minYield || numYield > maxYield)
    return yield.emitOpError()
           << "reduction '" << kindName << "' needs "
           << (minYield == maxYield ? Twine(minYield)
                                    : Twine(minYield) + " or " + Twine(maxYield))
           << " formula value" << (maxYield == 1 ? "" : "s") << ", got "
           << numYield;
  int64_t dim = formulaDim(yield.getValues()[0]);
  if ((kind == ReductionKind::LogSumExp ||
       kind == ReductionKind::SumSoftmaxWeight) &&
      dim != 1)
    return yield.emitOpError() << "reduction '" << kindName
                               << "' needs a scalar formula ("
                               << formulaTypeName(elementType, 1) << "), got "
                               << yield.getValues()[0].getType();

  // Width of each output row.
  SmallVector<OutputArray> layout = getOutputLayout();
  for (auto [index, value] : llvm::enumerate(getOuts())) {
    auto outType = cast<ShapedType>(value.getType());
    int64_t cols = outType.getDimSize(outType.getRank() - 1);
    int64_t width = layout[index].width;
    if (cols != width)
      return emitOpError() << "output #" << index << " must have " << width
                           << " columns for "
                           << (getPartial() ? "the state of " : "")
                           << "reduction '" << kindName
                           << "' of this formula, got "
                           << (ShapedType::isDynamic(cols)
                                   ? std::string("?")
                                   : std::to_string(cols));
  }
  return success();
}

SmallVector<OutputArray> ReduceOp::getOutputLayout(ReductionKind kind,
                                                   int64_t k, int64_t dim,
                                                   int64_t weightDim,
                                                   bool partial) {
  int64_t width = needsK(kind) ? k * dim : dim;
  switch (kind) {
  case ReductionKind::Sum:
    return {{dim, false}};
  case ReductionKind::LogSumExp:
    // The running maximum and the sum (of weights) scaled by exp(-maximum).
    if (partial)
      return {{1, false}, {weightDim ? weightDim : 1, false}};
    return {{weightDim ? weightDim : 1, false}};
  case ReductionKind::SumSoftmaxWeight:
    // The running maximum, the scaled denominator and numerator.
    if (partial)
      return {{1, false}, {1, false}, {weightDim, false}};
    return {{weightDim, false}};
  default:
    break;
  }
  // Min, max and K-min kinds: the values and indices of the selected terms
  // (those of min_argmin, max_argmax and kmin_argkmin).
  if (partial)
    return {{width, false}, {width, true}};
  SmallVector<OutputArray> layout;
  for (unsigned index = 0; index < getNumOutputs(kind); ++index)
    layout.push_back({width, isIndexOutput(kind, index)});
  return layout;
}

SmallVector<OutputArray> ReduceOp::getOutputLayout() {
  YieldOp yield = getYield();
  int64_t dim = formulaDim(yield.getValues()[0]);
  int64_t weightDim =
      yield.getValues().size() == 2 ? formulaDim(yield.getValues()[1]) : 0;
  return getOutputLayout(getKind(), getK() ? int64_t(*getK()) : 1, dim,
                         weightDim, getPartial());
}
