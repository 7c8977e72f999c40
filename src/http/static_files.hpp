#pragma once
// Serves the built dashboard (web/dist). Caching: files under assets/ carry a content hash in
// their name and are cached for a year (immutable); everything else, index.html above all, is
// `no-cache` with a content ETag, so a revalidation is a 304 until a new build. Unknown paths
// without an extension fall back to index.html (a single-page app); a missing file with one is a
// 404, as is any /api/ path no role serves; `.`/`..`/empty segments (also percent-encoded) are
// refused with 400 and nothing outside the root is ever served, symlinks included.
// Bytes and ETags come from a StaticFileCache: read and hashed once per version of a file.
#include <filesystem>

#include "http/handler.hpp"
#include "http/static_file_cache.hpp"

namespace pulseboard::http {

http::Response serve_static(const std::filesystem::path& root, const http::Request& req,
                            StaticFileCache& cache);
// With the process's own cache.
http::Response serve_static(const std::filesystem::path& root, const http::Request& req);

}  // namespace pulseboard::http
