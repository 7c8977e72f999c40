// Connection state recovery in the Socket.IO layer (docs/protocol-reference.md, Restoring a
// session; docs/recovery.md): a CONNECT that carries `pid` and `offset` asks the recovery store for
// its socket; the answer comes back on this session's loop, where the socket is admitted with its
// old sid and rooms and the packets it missed are written before the CONNECT reply.
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>

#include "socketio/socketio_client.hpp"

namespace pulseboard::socketio {

namespace {
// Each lookup costs the shared store work that a fresh socket does not: a subject (the client's
// address without tokens) that asks too often gets fresh sockets instead.
bool attempt_admitted(ClientHost& host, eio::Session& session, const std::string& subject) {
  const std::string who = subject.empty() ? "address " + session.address() : "sub " + subject;
  if (host.recovery()->admit_attempt(who)) return true;
  host.count(Counter::recovery_rate_limited);
  host.refusal_log().log(spdlog::level::info,
                         "session {} ({}): recovery attempts over the rate of {}: a fresh socket",
                         session.sid(), session.address(), who);
  return false;
}

using Clock = std::chrono::steady_clock;

long long ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}
}  // namespace

void SocketIoClient::recover(Admit admit, std::string pid, std::string offset) {
  host_.count(Counter::recovery_attempted);
  if (!attempt_admitted(host_, session_, admit.subject)) {
    connect_socket(std::move(admit), nullptr);
    return;
  }
  recovering_.insert(admit.nsp);
  // The client is a member of the session: alive while the session is.
  std::weak_ptr<eio::Session> weak = session_.shared_from_this();
  boost::asio::io_context& ioc = session_.ioc();
  // Whichever comes first admits the socket: the store's answer, or the deadline (Redis slow or
  // gone; socket.io-client waits for the CONNECT reply without one of its own).
  struct Wait {
    Wait(boost::asio::io_context& ioc, std::chrono::milliseconds deadline) : timer(ioc, deadline) {}
    boost::asio::steady_timer timer;
    bool done = false;
  };
  auto wait = std::make_shared<Wait>(ioc, host_.settings().recovery_deadline);
  const std::string nsp = admit.nsp;
  // On the session's loop, once: with the store's answer, or with nothing at the deadline.
  auto finish = std::make_shared<std::function<void(recovery::Lookup)>>(
      [this, weak, wait, admit = std::move(admit), offset](recovery::Lookup lookup) mutable {
        if (wait->done) return;
        wait->done = true;
        wait->timer.cancel();
        auto session = weak.lock();
        if (!session || session->closed()) return;
        admit_recovered(std::move(admit), offset, std::move(lookup));
      });
  wait->timer.async_wait([this, finish, weak](boost::system::error_code ec) {
    if (ec || weak.expired()) return;
    host_.count(Counter::recovery_timed_out);
    host_.refusal_log().log(
        spdlog::level::warn,
        "session {}: the recovery store did not answer within {} ms: a fresh socket",
        session_.sid(), host_.settings().recovery_deadline.count());
    (*finish)(recovery::Lookup::none());
  });
  const Clock::time_point asked = Clock::now();
  auto on_answer = [this, weak, wait, finish, &ioc, asked](recovery::Lookup r) {
    const Clock::time_point answered = Clock::now();
    auto on_loop = [this, weak, wait, finish, asked, answered, r = std::move(r)]() mutable {
      if (weak.expired()) return;  // the client (and `this`) went with its session
      time_lookup(asked, answered, wait->done);
      (*finish)(std::move(r));
    };
    boost::asio::post(ioc, std::move(on_loop));
  };
  host_.recovery()->recover(nsp, pid, offset, std::move(on_answer));
}

void SocketIoClient::time_lookup(Clock::time_point asked, Clock::time_point answered, bool late) {
  const Clock::time_point arrived = Clock::now();
  host_.observe_recovery_lookup(arrived - asked);
  if (late)
    host_.refusal_log().log(spdlog::level::warn,
                            "session {}: the recovery store answered after {} ms (on this loop "
                            "after {} ms), past the deadline",
                            session_.sid(), ms_between(asked, answered),
                            ms_between(asked, arrived));
}

void SocketIoClient::admit_recovered(Admit admit, const std::string& offset,
                                     recovery::Lookup lookup) {
  recovering_.erase(admit.nsp);
  if (lookup.beyond_bound) host_.count(Counter::recovery_beyond_bound);
  std::optional<recovery::Recovered>& r = lookup.recovered;
  // Someone else's session (another subject) is not handed over.
  if (r && r->session.subject != admit.subject) r.reset();
  // What this loop delivered after the store answered: not in the answer, and it will not come
  // again.
  std::vector<std::shared_ptr<const Broadcast>> since;
  if (r) {
    const std::string& anchor = r->packets.empty() ? offset : r->packets.back().offset;
    if (auto after = loop_.recent.after(admit.nsp, anchor)) since = std::move(*after);
    host_.count(Counter::recovery_succeeded);
    spdlog::debug("session {}: socket {} recovered with {} missed packets", session_.sid(),
                  r->session.sid, r->packets.size() + since.size());
  }
  Socket& s = connect_socket(std::move(admit), r ? &*r : nullptr);
  for (const auto& b : since) {
    if (s.removed() || session_.closed()) return;
    const bool for_it = std::any_of(b->rooms.begin(), b->rooms.end(),
                                    [&](const auto& room) { return s.rooms().contains(room); });
    if (for_it) s.send_frames(b->frames);
  }
}

void SocketIoClient::send_missed(Socket& socket, const recovery::Recovered& recovered) {
  for (const auto& missed : recovered.packets) {
    if (socket.removed() || session_.closed()) return;  // the queue overflowed: it is gone
    // It may still be on its way to this loop: the live copy is skipped.
    socket.replayed(missed.offset);
    socket.send_frames({message_frame(missed.packet)});
  }
}

void SocketIoClient::save_for_recovery(Socket& socket, bool disconnected) {
  if (!host_.recovery() || socket.pid().empty()) return;
  recovery::RecoverableSession s{socket.pid(), socket.id(), socket.nsp(), socket.subject(), {}};
  for (const auto& room : socket.rooms())
    if (room != socket.id()) s.rooms.push_back(room);
  std::sort(s.rooms.begin(), s.rooms.end());
  host_.recovery()->save(s, host_.settings().recovery_window);
  socket.set_saved_at(std::chrono::steady_clock::now());
  if (disconnected)
    spdlog::debug("session {}: socket {} kept for recovery for {} ms", session_.sid(), socket.id(),
                  host_.settings().recovery_window.count());
}

void SocketIoClient::forget_for_recovery(Socket& socket) {
  if (host_.recovery() && !socket.pid().empty())
    host_.recovery()->forget(socket.nsp(), socket.pid());
}

void SocketIoClient::refresh_recovery(bool all) {
  if (!host_.recovery()) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto& [nsp, socket] : sockets_)
    if (all || now - socket->saved_at() >= host_.settings().recovery_window / 2)
      save_for_recovery(*socket);
}

}  // namespace pulseboard::socketio
