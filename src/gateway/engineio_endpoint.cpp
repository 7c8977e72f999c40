#include "gateway/engineio_endpoint.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include "common/ids.hpp"
#include "engineio/packet.hpp"
#include "engineio/request_check.hpp"
#include "engineio/session.hpp"
#include "gateway/admission.hpp"
#include "gateway/config.hpp"
#include "gateway/loop.hpp"
#include "gateway/metrics.hpp"
#include "gateway/session_stack.hpp"
#include "http/client_address.hpp"
#include "websocket/transport.hpp"

namespace pulseboard::gateway {
namespace bhttp = boost::beast::http;
namespace {

struct Query {
  std::string eio, transport, sid;
};

Query parse_query(std::string_view target) {
  Query q;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return q;
  for (auto param : url->params()) {
    if (param.key == "EIO")
      q.eio = param.value;
    else if (param.key == "transport")
      q.transport = param.value;
    else if (param.key == "sid")
      q.sid = param.value;
  }
  return q;
}

void add_cors(const EndpointParts& parts, const http::Request& req, http::Response& res) {
  if (parts.config.cors_origin.empty()) return;
  auto origin = req.find(bhttp::field::origin);
  if (origin == req.end()) return;
  if (parts.config.cors_origin == "*") {
    // Any origin, but without credentials: reflecting every Origin with
    // Allow-Credentials would let any web page make a signed-in browser's requests and read
    // the answers (the `cors` package's `origin: "*"` sends the wildcard the same way).
    res.set(bhttp::field::access_control_allow_origin, "*");
    return;
  }
  if (origin->value() != parts.config.cors_origin) return;
  res.set(bhttp::field::access_control_allow_origin, origin->value());
  res.set(bhttp::field::access_control_allow_credentials, "true");
  res.set(bhttp::field::vary, "Origin");
}

http::Response make_response(const EndpointParts& parts, const http::Request& req,
                             bhttp::status status, std::string body, std::string_view type) {
  http::Response res{status, req.version()};
  res.set(bhttp::field::content_type, type);
  res.set(bhttp::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  add_cors(parts, req, res);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// A PollRespond that turns (status, body, type) into the HTTP response for this request.
eio::PollRespond poll_responder(const EndpointParts& parts, const http::Request& req,
                                http::Respond respond) {
  auto head = std::make_shared<http::Request>();
  head->version(req.version());
  head->keep_alive(req.keep_alive());
  if (auto o = req.find(bhttp::field::origin); o != req.end())
    head->set(bhttp::field::origin, o->value());
  return [&parts, head, respond = std::move(respond)](bhttp::status status, std::string body,
                                                      std::string_view type) {
    respond(make_response(parts, *head, status, std::move(body), type));
  };
}

void error(const EndpointParts& parts, const http::Request& req, const http::Respond& respond,
           eio::HttpError code, Rejection why) {
  parts.metrics.reject(why);
  auto status =
      code == eio::HttpError::forbidden ? bhttp::status::forbidden : bhttp::status::bad_request;
  respond(make_response(parts, req, status, eio::http_error_body(code), "application/json"));
}

// engine.io refuses a WebSocket upgrade before the 101 with a raw 400 whose text/html body is the
// error message, and closes the connection (`abortUpgrade`; docs/protocol-reference.md, Engine.IO
// HTTP errors).
void upgrade_error(const EndpointParts& parts, const http::Request& req,
                   const http::Respond& respond, eio::HttpError code, Rejection why) {
  parts.metrics.reject(why);
  http::Response res{bhttp::status::bad_request, req.version()};
  res.set(bhttp::field::content_type, "text/html");
  res.keep_alive(false);
  res.body() = std::string(eio::http_error_message(code));
  res.prepare_payload();
  respond(std::move(res));
}

// The loop whose io_context runs `session`.
Loop& loop_of(const EndpointParts& parts, eio::Session& session) {
  for (auto& loop : parts.loops)
    if (&loop->ioc == &session.ioc()) return *loop;
  return *parts.loops.front();  // every session runs on one of the loops
}

Rejection rejection_of(eio::Refusal r) {
  switch (r) {
    case eio::Refusal::unknown_transport:
      return Rejection::unknown_transport;
    case eio::Refusal::unknown_sid:
      return Rejection::unknown_sid;
    case eio::Refusal::transport_mismatch:
      return Rejection::transport_mismatch;
    case eio::Refusal::bad_handshake_method:
      return Rejection::bad_handshake_method;
    case eio::Refusal::unsupported_protocol_version:
      return Rejection::unsupported_protocol_version;
    case eio::Refusal::none:
    case eio::Refusal::protocol_mismatch:
    case eio::Refusal::websocket_without_upgrade:
    case eio::Refusal::upgrade_to_polling:
      break;
  }
  return Rejection::bad_request;
}

// A handshake past an admission limit. engine.io refuses what its `allowRequest` hook refuses
// with code 4 and the hook's message; the status says which limit, so an operator (and a
// load balancer) can tell a full gateway (503) from one client asking too much (429).
void refuse_admission(const EndpointParts& parts, const http::Request& req,
                      const http::Respond& respond, bool upgrade, Admission::Verdict verdict,
                      const std::string& address) {
  Rejection why = Rejection::handshake_rate;
  std::string_view message = "Too many handshakes from this address";
  bhttp::status status = bhttp::status::too_many_requests;
  if (verdict == Admission::Verdict::session_limit) {
    why = Rejection::session_limit;
    message = "Gateway at its session limit";
    status = bhttp::status::service_unavailable;
  } else if (verdict == Admission::Verdict::address_session_limit) {
    why = Rejection::address_session_limit;
    message = "Too many sessions from this address";
  }
  parts.metrics.reject(why);
  parts.stack.log(spdlog::level::warn, "handshake from {} refused: {}", address, message);
  http::Response res{status, req.version()};
  res.set(bhttp::field::retry_after, "1");
  if (upgrade) {
    res.set(bhttp::field::content_type, "text/html");
    res.keep_alive(false);
    res.body() = std::string(message);
  } else {
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    add_cors(parts, req, res);
    res.body() = R"({"code":4,"message":")" + std::string(message) + "\"}";
  }
  res.prepare_payload();
  respond(std::move(res));
}

}  // namespace

void EngineIoRoute::handle(http::Request&& req, http::Connection& conn, http::Respond respond) {
  serve_engineio(parts_, *parts_.loops.at(conn.loop_index()), conn, std::move(req),
                 std::move(respond));
}

namespace {

// CORS preflight.
void answer_preflight(const EndpointParts& parts, const http::Request& req,
                      const http::Respond& respond) {
  auto res = make_response(parts, req, bhttp::status::no_content, "", "text/plain");
  res.set(bhttp::field::access_control_allow_methods, "GET, POST");
  res.set(bhttp::field::access_control_allow_headers, "content-type");
  respond(std::move(res));
}

// A WebSocket: a new session's only transport, or the upgrade of a polling session (probed
// on that session's loop).
void upgrade_to_websocket(const EndpointParts& parts, Loop& own_loop, http::Connection& conn,
                          http::Request&& req, std::shared_ptr<eio::Session> session,
                          std::string address) {
  Loop* loop = session ? &loop_of(parts, *session) : &own_loop;
  auto socket = conn.take_socket();
  // A WebSocket upgrade must live on the loop of the session it upgrades.
  if (loop != &own_loop) {
    auto moved = socket.move_to(loop->ioc);
    if (!moved) return;  // closes it: a TLS stream with bytes in flight cannot move
    socket = std::move(*moved);
  }
  boost::asio::post(loop->ioc, [&parts, loop, session, address, socket = std::move(socket),
                                req = std::move(req)]() mutable {
    auto ws = parts.stack.make_transport(*loop, std::move(socket));
    ws->accept(std::move(req), [&parts, loop, session, address, ws](bool ok) {
      if (!ok) {
        if (!session) parts.admission.release(address);
        return;
      }
      if (session) {
        session->begin_probe(ws);
        return;
      }
      auto fresh = parts.stack.make_session(*loop, random_id20(),
                                            eio::Session::TransportKind::websocket, address);
      parts.sessions.add(fresh->sid(), fresh);
      fresh->attach_websocket(ws);
      fresh->open();
    });
  });
}

// A long-polling request: the handshake of a new session, or a GET or POST of an open one.
void serve_polling(const EndpointParts& parts, Loop& own_loop, http::Request&& req,
                   http::Respond respond, std::shared_ptr<eio::Session> session,
                   std::string address) {
  if (!session) {
    session = parts.stack.make_session(own_loop, random_id20(),
                                       eio::Session::TransportKind::polling, address);
    parts.sessions.add(session->sid(), session);
    session->open();
    session->poll_get(poll_responder(parts, req, std::move(respond)));
    return;
  }
  if (req.method() == bhttp::verb::get) {
    boost::asio::post(session->ioc(),
                      [session, r = poll_responder(parts, req, std::move(respond))]() mutable {
                        session->poll_get(std::move(r));
                      });
  } else if (req.method() == bhttp::verb::post) {
    auto ct = req[bhttp::field::content_type];
    bool binary = ct.starts_with("application/octet-stream");
    boost::asio::post(session->ioc(),
                      [session, binary, body = std::move(req.body()),
                       r = poll_responder(parts, req, std::move(respond))]() mutable {
                        session->poll_post(std::move(body), binary, std::move(r));
                      });
  } else {
    // engine.io's polling transport answers any other method with an empty 500.
    parts.metrics.reject(Rejection::bad_request);
    respond(make_response(parts, req, bhttp::status::internal_server_error, "", "text/html"));
  }
}

}  // namespace

void serve_engineio(const EndpointParts& parts, Loop& own_loop, http::Connection& conn,
                    http::Request&& req, http::Respond respond) {
  if (req.method() == bhttp::verb::options) return answer_preflight(parts, req, respond);
  Query q = parse_query(req.target());
  bool upgrade = boost::beast::websocket::is_upgrade(req);
  std::shared_ptr<eio::Session> session;
  if (!q.sid.empty()) session = parts.sessions.find(q.sid);
  auto refusal = eio::check_request({.eio = q.eio,
                                     .transport = q.transport,
                                     .has_sid = !q.sid.empty(),
                                     .session_known = session != nullptr,
                                     .upgrade = upgrade,
                                     .get = req.method() == bhttp::verb::get,
                                     .polling_enabled = parts.config.allow_polling});
  if (refusal != eio::Refusal::none) {
    // An upgrade request gets the refusal as raw text, the rest as JSON.
    auto code = eio::http_error_of(refusal);
    if (upgrade)
      upgrade_error(parts, req, respond, code, rejection_of(refusal));
    else
      error(parts, req, respond, code, rejection_of(refusal));
    return;
  }
  // A handshake (no sid) opens a session: admission control first (docs/security.md).
  std::string address;
  if (!session) {
    address = client_address(conn.peer(), req["X-Forwarded-For"], parts.trusted_proxies);
    auto verdict = parts.admission.admit(address);
    if (verdict != Admission::Verdict::admitted) {
      refuse_admission(parts, req, respond, upgrade, verdict, address);
      return;
    }
  }
  if (upgrade)
    upgrade_to_websocket(parts, own_loop, conn, std::move(req), std::move(session),
                         std::move(address));
  else
    serve_polling(parts, own_loop, std::move(req), std::move(respond), std::move(session),
                  std::move(address));
}

}  // namespace pulseboard::gateway
