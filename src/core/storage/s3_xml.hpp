#pragma once
// Just enough XML for S3's answers (ListObjectsV2, errors, multipart, DeleteObjects):
// elements found by name, entities decoded. Not a general parser: it does not nest an
// element inside another of the same name, which S3's documents never do. Pure
// functions; thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace monotube::storage::s3xml {

// The raw inner text of every <name>…</name> (or empty <name/>) in document order.
std::vector<std::string_view> Elements(std::string_view xml, std::string_view name);
// The decoded text of the first <name> element; nullopt when there is none.
std::optional<std::string> Text(std::string_view xml, std::string_view name);
// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references (&#38; &#x26;) to UTF-8;
// anything else is kept as it is.
std::string Decode(std::string_view text);
// Escapes & < > " ' for element text.
std::string Escape(std::string_view text);

}  // namespace monotube::storage::s3xml
