#include "protocol/whiteboard.hpp"

#include <cmath>
#include <string>

namespace lamplight::protocol {

error validate(const classroom_model& model, const signal::v1::WhiteboardOp& op) {
  auto bad = [](std::string why) { return error{errc::bad_request, std::move(why)}; };
  auto stroke_exists = [&](const std::string& id) {
    for (const auto& o : model.snapshot().whiteboard())
      if (o.has_stroke() && o.stroke().stroke_id() == id)
        return true;
    return false;
  };
  constexpr uint32_t max_page = 999;
  switch (op.op_case()) {
  case signal::v1::WhiteboardOp::kStroke: {
    const auto& s = op.stroke();
    if (s.stroke_id().empty() || s.stroke_id().size() > 64)
      return bad("stroke_id must have 1..64 characters");
    if (s.points_size() < 2 || s.points_size() % 2 != 0 || s.points_size() > 8192)
      return bad("points must be 1..4096 x,y pairs");
    for (float v : s.points())
      if (!std::isfinite(v) || v < 0.f || v > 1.f)
        return bad("points must lie in [0,1]");
    if (s.page() > max_page || s.color().size() > 16 || !std::isfinite(s.width()) ||
        s.width() < 0.f || s.width() > 1.f)
      return bad("bad page, color or width");
    if (stroke_exists(s.stroke_id()))
      return {errc::already_exists, "stroke " + s.stroke_id() + " exists"};
    return {};
  }
  case signal::v1::WhiteboardOp::kErase:
    if (!stroke_exists(op.erase().stroke_id()))
      return {errc::not_found, "no stroke " + op.erase().stroke_id()};
    return {};
  case signal::v1::WhiteboardOp::kClear:
    return op.clear().page() > max_page ? bad("bad page") : error{};
  case signal::v1::WhiteboardOp::kPage:
    return op.page().page() > max_page ? bad("bad page") : error{};
  case signal::v1::WhiteboardOp::OP_NOT_SET:
    break;
  }
  return bad("whiteboard op without an operation");
}

} // namespace lamplight::protocol
