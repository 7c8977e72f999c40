#include "gateway/static_files.hpp"

#include <fstream>
#include <sstream>

namespace pulseboard::gateway {
namespace bhttp = boost::beast::http;
namespace {

std::string_view mime_type(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

http::Response serve_static(const std::filesystem::path& root, const http::Request& req) {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
    return http::error_response(req, bhttp::status::method_not_allowed, "method_not_allowed",
                                "only GET and HEAD are served here");
  std::string_view target = req.target();
  target = target.substr(0, target.find_first_of("?#"));
  // Refuse any path that could leave the root.
  if (target.find("..") != std::string_view::npos || target.find('\\') != std::string_view::npos)
    return http::error_response(req, bhttp::status::bad_request, "bad_path", "invalid path");
  std::filesystem::path rel = std::string(target.substr(1));
  std::filesystem::path file = root / rel;
  std::error_code ec;
  bool is_index = false;
  if (rel.empty() || !std::filesystem::is_regular_file(file, ec)) {
    if (!rel.empty() && rel.has_extension())  // a missing asset is a 404, not the app
      return http::error_response(req, bhttp::status::not_found, "not_found", "no such file");
    file = root / "index.html";
    is_index = true;
  }
  auto body = read_file(file);
  if (!body)
    return http::error_response(req, bhttp::status::not_found, "not_found",
                                "dashboard not built (npm run build in web/)");
  http::Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, mime_type(file));
  bool hashed = rel.string().starts_with("assets/");
  res.set(bhttp::field::cache_control,
          is_index || !hashed ? "no-cache" : "public, max-age=31536000, immutable");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = req.method() == bhttp::verb::head ? std::string() : std::move(*body);
  res.prepare_payload();
  return res;
}

}  // namespace pulseboard::gateway
