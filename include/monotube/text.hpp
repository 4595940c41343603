#pragma once
// Small checks on user-supplied text. Pure functions; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace monotube {

// Well-formed UTF-8: no overlong forms, surrogates or values beyond U+10FFFF.
bool IsValidUtf8(std::string_view text);
// Characters (code points) of UTF-8 text, as people count length limits.
std::size_t CountCharacters(std::string_view utf8);
// A-Z lowered, every other byte as it is (locale-independent; UTF-8 stays intact).
std::string LowerAscii(std::string_view text);

}  // namespace monotube
