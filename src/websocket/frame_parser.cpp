#include "websocket/frame_parser.hpp"

#include <cstring>

#include "common/utf8.hpp"
#include "websocket/frame_header.hpp"

namespace pulseboard::websocket {
namespace {

bool is_control(std::uint8_t opcode) {
  return opcode & 0x8;
}

// Close codes a peer may send (RFC 6455 §7.4): the defined ones, minus those reserved for
// local use, plus the ranges for libraries and applications.
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

void unmask(char* data, std::size_t size, const char* key) {
  std::uint32_t k;
  std::memcpy(&k, key, 4);
  std::uint64_t k8 = (std::uint64_t(k) << 32) | k;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k8;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < size; ++i) data[i] ^= key[i % 4];
}

}  // namespace

FrameError FrameParser::feed(std::span<char> bytes, FrameEvents& events) {
  if (error_ != FrameError::none || closed_) return error_;
  if (pending_.empty()) {
    const std::size_t used = parse_frames(bytes.data(), bytes.size(), events);
    if (error_ == FrameError::none && !closed_ && used < bytes.size())
      pending_.assign(bytes.data() + used, bytes.size() - used);
    return error_;
  }
  pending_.append(bytes.data(), bytes.size());
  const std::size_t used = parse_frames(pending_.data(), pending_.size(), events);
  if (used == pending_.size())
    std::string().swap(pending_);  // give the memory back: idle connections hold none
  else
    pending_.erase(0, used);
  return error_;
}

std::size_t FrameParser::parse_frames(char* data, std::size_t size, FrameEvents& events) {
  std::size_t pos = 0;
  while (error_ == FrameError::none && !closed_) {
    const std::size_t avail = size - pos;
    if (avail < 2) break;
    const auto b0 = static_cast<std::uint8_t>(data[pos]);
    const auto b1 = static_cast<std::uint8_t>(data[pos + 1]);
    const bool fin = b0 & 0x80;
    const std::uint8_t opcode = b0 & 0x0F;
    // RSV1 only marks a compressed message, on its first frame, once permessage-deflate was
    // agreed (RFC 7692 §6.1); no other RSV bit has a meaning. Clients must mask (RFC 6455 §5.3).
    const std::uint8_t rsv = b0 & 0x70;
    const bool compressed = rsv == 0x40 && inflate_window_ != 0 && (opcode == 0x1 || opcode == 0x2);
    if ((rsv != 0 && !compressed) || !(b1 & 0x80) || (opcode > 0x2 && opcode < 0x8) ||
        opcode > 0xA) {
      error_ = FrameError::protocol_error;
      break;
    }
    std::uint64_t length = b1 & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (avail < 4) break;
      length = (std::uint64_t(std::uint8_t(data[pos + 2])) << 8) | std::uint8_t(data[pos + 3]);
      header = 4;
      if (length < 126) error_ = FrameError::protocol_error;  // not the minimal encoding
    } else if (length == 127) {
      if (avail < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | std::uint8_t(data[pos + 2 + i]);
      header = 10;
      if (length <= 0xFFFF || (length >> 63)) error_ = FrameError::protocol_error;
    }
    if (error_ != FrameError::none) break;
    if (is_control(opcode)) {
      if (!fin || length > 125) {
        error_ = FrameError::protocol_error;
        break;
      }
    } else {
      // Refuse an oversized message before its bytes arrive, so nothing large is buffered.
      const std::uint64_t so_far = opcode == 0 ? fragments_.size() : 0;
      if (length > max_message_ || so_far + length > max_message_) {
        error_ = FrameError::too_big;
        break;
      }
    }
    const std::size_t frame_size = header + 4 + static_cast<std::size_t>(length);
    if (avail < frame_size) break;
    char* payload = data + pos + header + 4;
    unmask(payload, static_cast<std::size_t>(length), data + pos + header);
    pos += frame_size;
    error_ = on_frame(opcode, fin, compressed, {payload, static_cast<std::size_t>(length)}, events);
  }
  return pos;
}

FrameError FrameParser::on_frame(std::uint8_t opcode, bool fin, bool compressed,
                                 std::string_view payload, FrameEvents& events) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::ping:
      events.on_ping(payload);
      return FrameError::none;
    case Opcode::pong:
      return FrameError::none;  // unsolicited pongs are allowed and mean nothing
    case Opcode::close: {
      if (payload.size() == 1) return FrameError::protocol_error;
      std::uint16_t code = close_code::no_status;
      std::string_view reason;
      if (payload.size() >= 2) {
        code =
            static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
        if (!valid_close_code(code)) return FrameError::protocol_error;
        reason = payload.substr(2);
        if (!is_valid_utf8(reason)) return FrameError::invalid_utf8;
      }
      closed_ = true;
      events.on_close(code, reason);
      return FrameError::none;
    }
    case Opcode::text:
    case Opcode::binary:
      if (fragmented_opcode_ != 0) return FrameError::protocol_error;  // a message is open
      if (fin)
        return deliver(opcode == static_cast<std::uint8_t>(Opcode::text), compressed, payload,
                       events);
      fragmented_opcode_ = opcode;
      fragmented_compressed_ = compressed;
      fragments_.assign(payload);
      return FrameError::none;
    case Opcode::continuation: {
      if (fragmented_opcode_ == 0) return FrameError::protocol_error;  // nothing to continue
      fragments_.append(payload);
      if (!fin) return FrameError::none;
      const bool text = fragmented_opcode_ == static_cast<std::uint8_t>(Opcode::text);
      fragmented_opcode_ = 0;
      std::string message;
      message.swap(fragments_);  // the member holds no memory once the message is delivered
      return deliver(text, fragmented_compressed_, message, events);
    }
  }
  return FrameError::protocol_error;
}

FrameError FrameParser::deliver(bool text, bool compressed, std::string_view payload,
                                FrameEvents& events) {
  std::string inflated;
  if (compressed) {
    if (!inflater_) inflater_ = std::make_unique<Inflater>(inflate_window_);
    const Inflater::Result result = inflater_->inflate(payload, max_message_, inflated);
    // A failed inflater is never used again: the connection is failing.
    if (inflate_no_context_ || result != Inflater::Result::ok) inflater_.reset();
    if (result == Inflater::Result::too_big) return FrameError::inflated_too_big;
    if (result == Inflater::Result::corrupt) return FrameError::protocol_error;
    payload = inflated;
  }
  if (text && !is_valid_utf8(payload)) return FrameError::invalid_utf8;
  events.on_message(text, payload);
  return FrameError::none;
}

}  // namespace pulseboard::websocket
