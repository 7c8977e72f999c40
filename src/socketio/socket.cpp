#include "socketio/socket.hpp"

#include <algorithm>

#include "engineio/session.hpp"
#include "socketio/socketio_client.hpp"

namespace pulseboard::socketio {

bool Socket::may_join(const std::string& room) const {
  if (room == id_) return true;
  if (!allowed_rooms_) return true;
  return std::find(allowed_rooms_->begin(), allowed_rooms_->end(), room) != allowed_rooms_->end();
}

void Socket::emit(std::string_view event, const boost::json::array& args,
                  std::vector<std::string> attachments, AckCallback on_ack) {
  sio::Packet p;
  p.type = sio::PacketType::event;
  p.nsp = nsp_;
  boost::json::array data;
  data.reserve(args.size() + 1);
  data.emplace_back(event);
  for (const auto& a : args) data.push_back(a);
  p.data = std::move(data);
  p.attachments = std::move(attachments);
  if (on_ack) {
    if (pending_acks_.size() >= max_pending_acks) pending_acks_.erase(pending_acks_.begin());
    p.id = next_ack_id_++;
    pending_acks_.emplace(*p.id, std::move(on_ack));
  }
  send_frames(encode_frames(p));
}

void Socket::send_frames(const std::vector<Frame>& frames) {
  session_.send_all(frames);
}

void Socket::hold(const std::vector<Frame>& frames) {
  if (frames.size() != 1 || frames.front().conflation_key == 0) return;
  const Frame& frame = frames.front();
  for (Frame& h : held_) {
    if (h.conflation_key == frame.conflation_key) {
      h = frame;
      return;
    }
  }
  if (held_.size() < max_held) held_.push_back(frame);
}

void Socket::set_hidden(bool hidden) {
  if (hidden == hidden_) return;
  hidden_ = hidden;
  if (hidden_) return;
  std::vector<Frame> held;
  held.swap(held_);
  send_frames(held);
}

void Socket::on_ack(std::uint64_t id, const boost::json::array& args,
                    const std::vector<std::string>& attachments) {
  auto it = pending_acks_.find(id);
  if (it == pending_acks_.end()) return;
  auto cb = std::move(it->second);
  pending_acks_.erase(it);
  cb(args, attachments);
}

}  // namespace pulseboard::socketio
