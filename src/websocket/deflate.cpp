#include "websocket/deflate.hpp"

#include <zlib.h>

#include <climits>
#include <cstring>
#include <vector>

namespace pulseboard::websocket {
namespace {

constexpr std::string_view kExtension = "permessage-deflate";
// The empty stored block a sync flush ends with, which the wire form leaves out (§7.2.1).
constexpr char kFlushTail[4] = {0, 0, '\xff', '\xff'};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits at `sep` outside double quotes, trimming each piece.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] == '"') quoted = !quoted;
    if (i == s.size() || (s[i] == sep && !quoted)) {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return parts;
}

// A parameter value: a token, or a quoted string without escapes (§7.1: the values are digits).
std::optional<std::string_view> unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.find_first_of("\"\\ \t") != std::string_view::npos) return std::nullopt;
  return v;
}

// 8 to 15, written without leading zeros (§7.1.2.1).
std::optional<int> window_bits(std::string_view v) {
  if (v.size() == 1 && (v[0] == '8' || v[0] == '9')) return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return std::nullopt;
}

struct Offer {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  bool server_max_window_bits = false;  // offered (only 15 is accepted)
  bool client_max_window_bits = false;  // offered: we may choose the client's window
  int client_bits_cap = 15;             // the client's own cap on that choice
};

constexpr std::string_view kParams[] = {"server_no_context_takeover", "client_no_context_takeover",
                                        "server_max_window_bits", "client_max_window_bits"};

// One parameter into `offer`; false declines the offer.
bool apply_param(std::string_view param, unsigned& seen, Offer& offer) {
  const std::size_t eq = param.find('=');
  const std::string_view name = trim(param.substr(0, eq));
  std::optional<std::string_view> value;
  if (eq != std::string_view::npos) {
    value = unquote(trim(param.substr(eq + 1)));
    if (!value) return false;
  }
  std::size_t index = 0;
  while (index < std::size(kParams) && kParams[index] != name) ++index;
  if (index == std::size(kParams) || (seen & (1u << index))) return false;  // unknown, twice
  seen |= 1u << index;
  if (index < 2) {  // the *_no_context_takeover flags carry no value
    if (index == 0) offer.server_no_context_takeover = true;
    if (index == 1) offer.client_no_context_takeover = true;
    return !value;
  }
  std::optional<int> bits;
  if (value && !(bits = window_bits(*value))) return false;
  if (index == 2) {  // server_max_window_bits: a value is required; we compress with 15
    offer.server_max_window_bits = true;
    return bits && *bits == 15;
  }
  offer.client_max_window_bits = true;
  if (bits) offer.client_bits_cap = *bits;
  return true;
}

DeflateAgreement agree(const Offer& offer) {
  DeflateAgreement a;
  a.response = std::string(kExtension);
  if (offer.server_no_context_takeover) {
    a.server_no_context_takeover = true;
    a.response += "; server_no_context_takeover";
  }
  if (offer.client_no_context_takeover) {
    a.client_no_context_takeover = true;
    a.response += "; client_no_context_takeover";
  }
  if (offer.server_max_window_bits) a.response += "; server_max_window_bits=15";
  if (offer.client_max_window_bits) {
    const int answered = std::min(offer.client_bits_cap, kClientWindowBits);
    a.response += "; client_max_window_bits=" + std::to_string(answered);
    // A client told 8 deflates with 9 (zlib has no raw 8): the inflater takes at least 9.
    a.client_window_bits = std::max(answered, kClientWindowBits);
  }
  return a;
}

}  // namespace

std::optional<DeflateAgreement> negotiate_deflate(std::string_view offers) {
  for (std::string_view extension : split(offers, ',')) {
    const std::vector<std::string_view> parts = split(extension, ';');
    if (parts.front() != kExtension) continue;
    Offer offer;
    unsigned seen = 0;
    bool acceptable = true;
    for (std::size_t i = 1; i < parts.size() && acceptable; ++i)
      acceptable = apply_param(parts[i], seen, offer);
    if (acceptable) return agree(offer);
  }
  return std::nullopt;
}

struct Deflater::State {
  z_stream z{};
  int level = 0;
  bool ready = false;
};

Deflater::Deflater() : state_(std::make_unique<State>()) {}

Deflater::~Deflater() {
  if (state_->ready) deflateEnd(&state_->z);
}

bool Deflater::start(int level) {
  State& s = *state_;
  if (s.ready && s.level == level) return deflateReset(&s.z) == Z_OK;
  if (s.ready) deflateEnd(&s.z);
  s.level = level;
  s.ready = deflateInit2(&s.z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  return s.ready;
}

bool Deflater::compress(std::string_view in, std::string& out) {
  z_stream& z = state_->z;
  if (!state_->ready || in.size() > UINT_MAX / 2) return false;
  out.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::size_t produced = 0;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = deflate(&z, Z_SYNC_FLUSH);
    // Z_BUF_ERROR on a second call: the first had filled the buffer exactly, nothing was left.
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced > 0)) return false;
    produced = out.size() - z.avail_out;
    if (z.avail_out > 0 || rc == Z_BUF_ERROR) break;  // all of it flushed
    out.resize(out.size() * 2);
  }
  if (z.avail_in != 0 || produced < 4 || std::memcmp(out.data() + produced - 4, kFlushTail, 4) != 0)
    return false;
  out.resize(produced - 4);
  return true;
}

bool deflate_message(std::string_view in, int level, std::string& out) {
  // One deflater per thread (about 256 KiB): no connection holds compression state.
  thread_local Deflater deflater;
  return deflater.start(level) && deflater.compress(in, out);
}

const std::string* SharedPayload::deflated(int level, bool& made_now) const {
  std::call_once(once_, [&] {
    made_now = true;
    std::string out;
    if (deflate_message(*this, level, out) && out.size() < size()) {
      deflated_ = std::move(out);
      smaller_ = true;
    }
  });
  return smaller_ ? &deflated_ : nullptr;
}

SharedPayload::~SharedPayload() {
  delete stream_form_.load(std::memory_order_acquire);
}

bool SharedPayload::attach_stream_form(std::unique_ptr<StreamForm> form) const {
  const StreamForm* none = nullptr;
  if (!stream_form_.compare_exchange_strong(none, form.get(), std::memory_order_acq_rel))
    return false;
  form.release();
  return true;
}

std::shared_ptr<const SharedPayload> make_shared_payload(std::string plain) {
  return std::make_shared<const SharedPayload>(std::move(plain));
}

// ---- inflating ----------------------------------------------------------------------------

struct Inflater::State {
  z_stream z{};
  bool ready = false;
};

Inflater::Inflater(int window_bits) : state_(std::make_unique<State>()) {
  state_->ready = inflateInit2(&state_->z, -window_bits) == Z_OK;
}

Inflater::~Inflater() {
  if (state_->ready) inflateEnd(&state_->z);
}

Inflater::Result Inflater::inflate(std::string_view compressed, std::size_t limit,
                                   std::string& out) {
  if (!state_->ready || compressed.size() > UINT_MAX / 2) return Result::corrupt;
  z_stream& z = state_->z;
  out.clear();
  std::size_t produced = 0;
  const std::string_view inputs[2] = {compressed, {kFlushTail, 4}};
  for (std::string_view input : inputs) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z.avail_in = static_cast<uInt>(input.size());
    while (z.avail_in > 0 || produced == out.size()) {
      if (produced == out.size()) {
        // Grow by doubling, never past limit + 1: one byte over the limit proves the bomb.
        if (out.size() > limit) return Result::too_big;
        out.resize(std::min(limit + 1, std::max<std::size_t>(2 * out.size(), 4096)));
      }
      z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, UINT_MAX / 2));
      const int rc = ::inflate(&z, Z_SYNC_FLUSH);
      produced = static_cast<std::size_t>(reinterpret_cast<char*>(z.next_out) - out.data());
      if (produced > limit) return Result::too_big;
      if (rc == Z_STREAM_END) {  // a final block (§7.2.3.3): the next message starts afresh
        out.resize(produced);
        return inflateReset(&z) == Z_OK ? Result::ok : Result::corrupt;
      }
      if (rc == Z_BUF_ERROR) break;  // no progress possible: all input taken, output flushed
      if (rc != Z_OK) return Result::corrupt;
    }
  }
  out.resize(produced);
  return Result::ok;
}

}  // namespace pulseboard::websocket
