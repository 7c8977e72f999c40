#pragma once
// Drives OrdersApi::handle() the way the HTTP server does and waits (with a deadline) for the
// one response.
#include "api/orders_api.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>

namespace pulseboard::api::testing {

namespace bhttp = http::beast_http;

struct Reply {
  http::Response res;
  std::thread::id responder;

  unsigned status() const { return res.result_int(); }
  boost::json::value json() const { return boost::json::parse(res.body()); }
  std::string error_code() const { return std::string(json().at("error").at("code").as_string()); }
  // "field/rule" of a validation_failed error.
  std::string rule() const {
    const auto body = json();
    const auto& e = body.at("error").as_object();
    std::string out = e.contains("field") ? std::string(e.at("field").as_string()) : "";
    return out + "/" + std::string(e.at("rule").as_string());
  }
  std::string header(std::string_view name) const {
    auto it = res.find(name);
    return it == res.end() ? "" : std::string(it->value());
  }
};

inline Reply call(OrdersApi& api, bhttp::verb method, std::string target, std::string body = "",
                  std::map<std::string, std::string> headers = {}) {
  http::Request req{method, target, 11};
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() && !headers.contains("Content-Type"))
    req.set(bhttp::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  api.handle(std::move(req), [promise](http::Response res) {
    promise->set_value({std::move(res), std::this_thread::get_id()});
  });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "no response within 10 s";
    return {};
  }
  return future.get();
}

}  // namespace pulseboard::api::testing
