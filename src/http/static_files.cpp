#include "http/static_files.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <variant>

namespace pulseboard::http {
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

std::string_view mime_type(const fs::path& p) {
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

// If-None-Match is a list of entity tags or `*`, compared weakly (RFC 9110 13.1.2).
bool none_match_hits(std::string_view header, std::string_view etag) {
  auto opaque = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*" || opaque(item) == opaque(etag)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

struct Refused {};
struct Resolved {
  fs::path rel;  // relative to the root, built only from checked, decoded segments
};

// The request path as a relative path under the root. Segments are percent-decoded first, so
// `%2e%2e` is `..`; any `.`/`..` segment, empty segment (`//etc` would make the path absolute),
// or a decoded `/`, `\` or NUL is refused rather than normalised.
std::variant<Refused, Resolved> resolve(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return Refused{};
  // Split the raw path here: Boost.URL's segment views hide a leading `/.` (its own escape for
  // `//`), and a request that spells one is refused like any other dot segment.
  std::string_view path = url->encoded_path();
  if (path.empty() || path.front() != '/') return Refused{};
  path.remove_prefix(1);
  Resolved out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto raw = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (raw.empty() && path.empty()) break;  // a trailing slash: `/orders/` is the route `/orders`
    auto pct = boost::urls::make_pct_string_view(raw);
    if (!pct) return Refused{};
    std::string seg = pct->decode();
    if (seg.empty() || seg == "." || seg == ".." ||
        seg.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos)
      return Refused{};
    out.rel /= seg;
  }
  return out;
}

// Symlinks inside the root must not lead out of it either.
bool inside(const fs::path& root, const fs::path& file) {
  std::error_code ec;
  auto r = fs::canonical(root, ec);
  if (ec) return false;
  auto f = fs::canonical(file, ec);
  if (ec) return false;
  auto [end, _] = std::mismatch(r.begin(), r.end(), f.begin(), f.end());
  return end == r.end();
}

http::Response with_validators(const http::Request& req, bhttp::status status,
                               std::string_view etag, std::string_view cache_control) {
  http::Response res{status, req.version()};
  res.set(bhttp::field::etag, etag);
  res.set(bhttp::field::cache_control, cache_control);
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  return res;
}

}  // namespace

namespace {

http::Response answer(const fs::path& root, const http::Request& req, StaticFileCache& cache) {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    auto res = http::error_response(req, bhttp::status::method_not_allowed, "method_not_allowed",
                                    "only GET and HEAD are served here");
    res.set(bhttp::field::allow, "GET, HEAD");
    return res;
  }
  auto resolved = resolve(req.target());
  if (std::holds_alternative<Refused>(resolved))
    return http::error_response(req, bhttp::status::bad_request, "bad_path", "invalid path");
  const fs::path& rel = std::get<Resolved>(resolved).rel;
  // An API path no role serves is the caller's 404, not the page.
  if (!rel.empty() && *rel.begin() == "api")
    return http::error_response(req, bhttp::status::not_found, "not_found", "no such endpoint");

  fs::path file = root / rel;
  std::error_code ec;
  bool is_index = false;
  if (rel.empty() || !fs::is_regular_file(file, ec)) {
    if (!rel.empty() && rel.has_extension())  // a missing asset is a 404, not the app
      return http::error_response(req, bhttp::status::not_found, "not_found", "no such file");
    file = root / "index.html";  // any other path is a route of the single-page app
    is_index = true;
  }
  auto cached = inside(root, file) ? cache.get(file) : nullptr;
  if (!cached)
    return http::error_response(
        req, bhttp::status::not_found, "not_found",
        is_index ? "dashboard not built (npm run build in web/)" : "no such file");

  // Vite puts a content hash in every file name under assets/, so those never change; anything
  // else (index.html above all) keeps its name across builds and is revalidated on every use.
  bool hashed = !is_index && *rel.begin() == "assets";
  std::string_view cache_control = hashed ? kImmutable : kRevalidate;
  if (auto inm = req[bhttp::field::if_none_match];
      !inm.empty() && none_match_hits(inm, cached->etag)) {
    auto res = with_validators(req, bhttp::status::not_modified, cached->etag, cache_control);
    res.prepare_payload();
    return res;
  }

  auto res = with_validators(req, bhttp::status::ok, cached->etag, cache_control);
  res.set(bhttp::field::content_type, mime_type(file));
  if (req.method() == bhttp::verb::head) {
    res.content_length(cached->body.size());  // the length a GET would get; no copy of the body
  } else {
    res.body() = cached->body;
    res.prepare_payload();
  }
  return res;
}

}  // namespace

http::Response serve_static(const fs::path& root, const http::Request& req,
                            StaticFileCache& cache) {
  http::Response res = answer(root, req, cache);
  // HEAD: the headers a GET would get, Content-Length included, and no body (errors too: a body
  // after a HEAD answer would be read as the start of the next response on the connection).
  if (req.method() == bhttp::verb::head) res.body().clear();
  return res;
}

http::Response serve_static(const fs::path& root, const http::Request& req) {
  static StaticFileCache process_cache;
  return serve_static(root, req, process_cache);
}

}  // namespace pulseboard::http
