// The Socket.IO v5 packet decoder, following socket.io-parser 4.2's Decoder with the server-side
// rejections of docs/protocol-reference.md, Socket.IO rejections. Where the Node decoder is looser
// than a server should be, the stricter rule is documented in docs/protocol.md.
#include <cmath>
#include <limits>

#include "sio/packet.hpp"

namespace pulseboard::sio {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_binary_type(PacketType type) {
  return type == PacketType::binary_event || type == PacketType::binary_ack;
}

// Control characters cannot come from a namespace taken from a URL path, and a namespace is
// echoed into logs and broker channel names, so they are refused.
bool is_valid_namespace(std::string_view nsp) {
  for (unsigned char c : nsp) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

DecodeError check_payload(PacketType type, const std::optional<boost::json::value>& data) {
  switch (type) {
    case PacketType::connect:
      return !data || data->is_object() ? DecodeError::none : DecodeError::bad_payload;
    case PacketType::disconnect:
      return data ? DecodeError::bad_payload : DecodeError::none;
    case PacketType::event:
    case PacketType::binary_event: {
      // Stricter than the Node decoder, which lets `2` through with undefined data: an event
      // without a name is of no use to a server.
      if (!data || !data->is_array() || data->as_array().empty()) return DecodeError::bad_payload;
      const auto& name = data->as_array().front();
      if (name.is_number()) return DecodeError::none;
      if (!name.is_string()) return DecodeError::bad_payload;
      return is_reserved_event_name(name.as_string()) ? DecodeError::reserved_event_name
                                                      : DecodeError::none;
    }
    case PacketType::ack:
    case PacketType::binary_ack:
      return data && data->is_array() ? DecodeError::none : DecodeError::bad_payload;
    case PacketType::connect_error:
      return data && (data->is_object() || data->is_string()) ? DecodeError::none
                                                              : DecodeError::bad_payload;
  }
  return DecodeError::unknown_type;
}

bool placeholder_in_range(const boost::json::value& num, std::size_t attachments) {
  if (const auto* u = num.if_uint64()) return *u < attachments;
  if (const auto* i = num.if_int64()) return *i >= 0 && std::uint64_t(*i) < attachments;
  return false;
}

// Checks the values of a parsed payload:
// - every {"_placeholder":true,"num":N} names one of the packet's attachments, so code that
//   resolves placeholders never indexes out of range;
// - no number is beyond double range: Boost.JSON reads 1e400 as infinity and would write it
//   back as `Infinity`, which is not JSON.
// Nesting is bounded by the JSON parser's depth limit.
DecodeError check_values(const boost::json::value& value, std::size_t attachments) {
  if (const auto* d = value.if_double()) {
    return std::isfinite(*d) ? DecodeError::none : DecodeError::bad_json;
  }
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) {
      if (auto error = check_values(element, attachments); error != DecodeError::none) return error;
    }
    return DecodeError::none;
  }
  const auto* object = value.if_object();
  if (!object) return DecodeError::none;
  if (const auto* flag = object->if_contains("_placeholder");
      flag && flag->is_bool() && flag->get_bool()) {
    const auto* num = object->if_contains("num");
    if (!num || !placeholder_in_range(*num, attachments)) return DecodeError::illegal_attachments;
  }
  for (const auto& member : *object) {
    if (auto error = check_values(member.value(), attachments); error != DecodeError::none) {
      return error;
    }
  }
  return DecodeError::none;
}

// Decimal digits to an unsigned value; nullopt on overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view digits) {
  std::uint64_t value = 0;
  for (char c : digits) {
    const std::uint64_t d = std::uint64_t(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    value = value * 10 + d;
  }
  return value;
}

}  // namespace

Decoder::Decoder(std::size_t max_attachments) : max_attachments_(max_attachments) {}

Decoder::Status Decoder::fail(DecodeError error) {
  expected_attachments_ = 0;
  packet_ = Packet{};
  error_ = error;
  return Status::error;
}

Decoder::Status Decoder::complete() {
  const std::size_t attachments = packet_.attachments.size();
  if (packet_.data) {
    if (auto error = check_values(*packet_.data, attachments); error != DecodeError::none) {
      return fail(error);
    }
  }
  return Status::packet;
}

// "<count>-" after a binary packet's type: the number of attachments that follow, at most
// max_attachments_. Moves `pos` past the dash.
DecodeError Decoder::read_attachment_count(std::string_view text, std::size_t& pos,
                                           std::size_t& count) const {
  const auto dash = text.find('-', pos);
  if (dash == std::string_view::npos || dash == pos) return DecodeError::bad_attachment_count;
  const auto digits = text.substr(pos, dash - pos);
  for (char c : digits) {
    if (!is_digit(c)) return DecodeError::bad_attachment_count;
  }
  const auto n = parse_decimal(digits);
  if (!n || *n > max_attachments_) return DecodeError::too_many_attachments;
  count = std::size_t(*n);
  pos = dash + 1;
  return DecodeError::none;
}

Decoder::Status Decoder::add_text(std::string_view text) {
  if (awaiting_attachments()) return fail(DecodeError::unexpected_text);
  packet_ = Packet{};
  error_ = DecodeError::none;

  if (text.empty() || text.front() < '0' || text.front() > '6') {
    return fail(DecodeError::unknown_type);
  }
  packet_.type = static_cast<PacketType>(text.front() - '0');
  std::size_t pos = 1;

  std::size_t attachments = 0;
  if (is_binary_type(packet_.type)) {
    if (auto e = read_attachment_count(text, pos, attachments); e != DecodeError::none)
      return fail(e);
  }

  if (pos < text.size() && text[pos] == '/') {
    const auto comma = text.find(',', pos);
    const auto end = comma == std::string_view::npos ? text.size() : comma;
    const auto nsp = text.substr(pos, end - pos);
    if (!is_valid_namespace(nsp)) return fail(DecodeError::bad_namespace);
    packet_.nsp.assign(nsp);
    pos = comma == std::string_view::npos ? text.size() : comma + 1;
  }

  if (pos < text.size() && is_digit(text[pos])) {
    const auto start = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    packet_.id = parse_decimal(text.substr(start, pos - start));
    if (!packet_.id) return fail(DecodeError::bad_ack_id);
  }

  if (pos < text.size()) {
    boost::system::error_code ec;
    auto data = boost::json::parse(text.substr(pos), ec);
    if (ec) return fail(DecodeError::bad_json);
    packet_.data = std::move(data);
  }

  if (const auto shape = check_payload(packet_.type, packet_.data); shape != DecodeError::none) {
    return fail(shape);
  }

  if (attachments > 0) {
    expected_attachments_ = attachments;
    packet_.attachments.reserve(attachments);
    return Status::need_more;
  }
  return complete();
}

Decoder::Status Decoder::add_binary(std::string_view bytes) {
  if (!awaiting_attachments()) return fail(DecodeError::unexpected_binary);
  packet_.attachments.emplace_back(bytes);
  if (packet_.attachments.size() < expected_attachments_) return Status::need_more;
  expected_attachments_ = 0;
  return complete();
}

Packet Decoder::take() {
  Packet out = std::move(packet_);
  packet_ = Packet{};
  return out;
}

}  // namespace pulseboard::sio
