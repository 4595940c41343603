#include "monotube/http/multipart.hpp"

#include <algorithm>
#include <cstring>

#include "monotube/errors.hpp"
#include "monotube/text.hpp"

namespace monotube::http {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxPartHeaderBytes = 16 * 1024;
constexpr int kMaxParts = 64;

[[noreturn]] void Malformed(const std::string& why) {
  throw InvalidInput("malformed_multipart", "The form data is malformed: " + why + ".");
}

// Splits "form-data; name=\"a\"; filename=\"b.mp4\"" into parameters (lower-case names).
// Quoted values may contain ";" and backslash escapes.
std::optional<std::string> Parameter(std::string_view header, std::string_view wanted) {
  std::size_t i = header.find(';');
  while (i != std::string_view::npos && i < header.size()) {
    ++i;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    std::size_t equals = header.find('=', i);
    if (equals == std::string_view::npos) return std::nullopt;
    std::string name = LowerAscii(TrimWhitespace(header.substr(i, equals - i)));
    std::size_t j = equals + 1;
    std::string value;
    if (j < header.size() && header[j] == '"') {
      ++j;
      while (j < header.size() && header[j] != '"') {
        if (header[j] == '\\' && j + 1 < header.size()) ++j;
        value += header[j++];
      }
      if (j >= header.size()) Malformed("an unterminated quoted parameter");
      ++j;
      i = header.find(';', j);
    } else {
      std::size_t end = header.find(';', j);
      value = std::string(TrimWhitespace(header.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    if (name == wanted) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string MultipartReader::BoundaryOf(std::string_view content_type) {
  std::string type = LowerAscii(TrimWhitespace(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data")
    throw UnsupportedMedia("The request must be multipart/form-data (a form with a file).");
  std::optional<std::string> boundary = Parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70)
    throw InvalidInput("malformed_multipart", "The form data has no valid boundary in its Content-Type.");
  return *boundary;
}

MultipartReader::MultipartReader(RequestContext& context, std::string boundary)
    : context_(context), delimiter_("\r\n--" + boundary), buffer_("\r\n") {}

boost::asio::awaitable<bool> MultipartReader::Fill(std::size_t want) {
  while (Unconsumed().size() < want && !body_ended_) {
    if (start_ > 0 && start_ >= buffer_.size() / 2) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    std::size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadChunk);
    std::size_t got = co_await context_.ReadBody(buffer_.data() + old_size, kReadChunk);
    buffer_.resize(old_size + got);
    if (got == 0) body_ended_ = true;
  }
  co_return Unconsumed().size() >= want;
}

boost::asio::awaitable<std::optional<PartHeaders>> MultipartReader::NextPart() {
  if (state_ == State::kInPart) {
    char sink[16 * 1024];
    while (co_await Read(sink, sizeof sink) > 0) {
    }
  }
  if (state_ == State::kPreamble) {
    // Skip anything before the first delimiter.
    for (;;) {
      co_await Fill(delimiter_.size());
      std::size_t at = Unconsumed().find(delimiter_);
      if (at != std::string_view::npos) {
        Consume(at + delimiter_.size());
        break;
      }
      if (body_ended_) Malformed("no boundary line was found");
      Consume(Unconsumed().size() - (delimiter_.size() - 1));
    }
    state_ = State::kAfterDelimiter;
  }
  if (state_ == State::kDone) co_return std::nullopt;

  // After a delimiter: "--" ends the body; else optional padding, CRLF and the headers.
  if (!co_await Fill(2)) Malformed("the body ends after a boundary line");
  if (Unconsumed().substr(0, 2) == "--") {
    state_ = State::kDone;
    co_return std::nullopt;
  }
  if (++parts_ > kMaxParts) Malformed("it has too many parts");
  std::size_t headers_end = std::string_view::npos;
  for (;;) {
    headers_end = Unconsumed().find("\r\n\r\n");
    if (headers_end != std::string_view::npos) break;
    if (Unconsumed().size() > kMaxPartHeaderBytes) Malformed("a part's headers are too long");
    if (!co_await Fill(Unconsumed().size() + 1)) Malformed("the body ends inside a part's headers");
  }
  std::string_view block = Unconsumed().substr(0, headers_end + 2);
  std::size_t first_line_end = block.find("\r\n");
  if (!TrimWhitespace(block.substr(0, first_line_end)).empty()) Malformed("a boundary line is followed by text");
  PartHeaders part;
  bool has_disposition = false;
  std::size_t line_start = first_line_end + 2;
  while (line_start < block.size()) {
    std::size_t line_end = block.find("\r\n", line_start);
    std::string_view line = block.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (line.empty()) continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) Malformed("a part header has no colon");
    std::string name = LowerAscii(TrimWhitespace(line.substr(0, colon)));
    std::string_view value = TrimWhitespace(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (LowerAscii(TrimWhitespace(value.substr(0, value.find(';')))) != "form-data")
        Malformed("a part is not form-data");
      std::optional<std::string> field = Parameter(value, "name");
      if (!field) Malformed("a part has no field name");
      part.name = *field;
      part.filename = Parameter(value, "filename");
      has_disposition = true;
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (!has_disposition) Malformed("a part has no Content-Disposition");
  Consume(headers_end + 4);
  state_ = State::kInPart;
  current_name_ = part.name;
  co_return part;
}

boost::asio::awaitable<std::size_t> MultipartReader::Read(char* buffer, std::size_t size) {
  if (state_ != State::kInPart || size == 0) co_return 0;
  co_await Fill(delimiter_.size() + 1);
  std::string_view available = Unconsumed();
  std::size_t at = available.find(delimiter_);
  std::size_t take = 0;
  if (at == 0) {
    Consume(delimiter_.size());
    state_ = State::kAfterDelimiter;
    co_return 0;
  }
  if (at != std::string_view::npos) {
    take = at;
  } else {
    if (body_ended_) Malformed("the body ends inside a part");
    // The tail could be the start of a delimiter split across reads: keep it.
    take = available.size() - (delimiter_.size() - 1);
  }
  take = std::min(take, size);
  std::memcpy(buffer, available.data(), take);
  Consume(take);
  co_return take;
}

boost::asio::awaitable<std::string> MultipartReader::ReadText(std::size_t max_bytes) {
  std::string text;
  char chunk[4096];
  for (;;) {
    std::size_t got = co_await Read(chunk, sizeof chunk);
    if (got == 0) break;
    if (text.size() + got > max_bytes)
      throw InvalidInput("field_too_long", "The form field \"" + current_name_ + "\" is too long.");
    text.append(chunk, got);
  }
  co_return text;
}

}  // namespace monotube::http
