#include "monotube/http/object_response.hpp"

#include <memory>

#include "monotube/errors.hpp"
#include "monotube/http/conditional.hpp"

namespace monotube::http {
namespace {

class ObjectBody final : public BodySource {
 public:
  explicit ObjectBody(std::unique_ptr<storage::ObjectReader> reader) : reader_(std::move(reader)) {}
  std::size_t Read(char* buffer, std::size_t size) override { return reader_->Read(buffer, size); }

 private:
  std::unique_ptr<storage::ObjectReader> reader_;
};

}  // namespace

Response ObjectResponse(storage::ObjectStorage& storage, const std::string& key, const Request& request,
                        std::string_view content_type, std::string_view cache_control) {
  std::optional<storage::ObjectInfo> info = storage.Stat(key);
  if (!info) throw NotFound("There is nothing at this address.");
  Representation representation{"\"" + info->etag + "\"", info->modified_ms / 1000, info->size};
  ConditionalAnswer answer = PlanConditionalAnswer(request, representation);
  Response response;
  response.headers.set(bhttp::field::cache_control, cache_control);
  ApplyConditionalAnswer(representation, answer, content_type, response);
  if (answer.kind != ConditionalAnswer::Kind::kFull && answer.kind != ConditionalAnswer::Kind::kPartial)
    return response;
  response.stream_length = answer.length;
  if (request.method == Verb::head || answer.length == 0) {
    response.stream = nullptr;
    response.body.clear();
    // HEAD: the server sends the headers only, with this length.
    if (request.method == Verb::head) response.stream = std::make_shared<EmptyBody>();
    return response;
  }
  std::optional<storage::ByteRange> range;
  if (answer.kind == ConditionalAnswer::Kind::kPartial)
    range = storage::ByteRange::Between(answer.offset, answer.offset + answer.length - 1);
  response.stream = std::make_shared<ObjectBody>(storage.OpenReader(key, range));
  return response;
}

}  // namespace monotube::http
