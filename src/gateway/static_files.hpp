#pragma once
// Serves the built dashboard (web/dist): hashed assets are cached for a year, index.html is
// revalidated every time, unknown paths fall back to index.html (a single-page app).
#include <filesystem>

#include "http/handler.hpp"

namespace pulseboard::gateway {

http::Response serve_static(const std::filesystem::path& root, const http::Request& req);

}  // namespace pulseboard::gateway
