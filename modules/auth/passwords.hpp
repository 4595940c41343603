#pragma once
// Password hashing with argon2id (libsodium), at libsodium's "interactive" cost
// (2 passes over 64 MiB, above the OWASP minimum). Thread-safe; each hash or verify
// takes tens of milliseconds and 64 MiB, so call them on worker threads.
#include <string>
#include <string_view>

namespace monotube::auth {

// An encoded "$argon2id$v=19$m=...,t=...,p=1$salt$hash" string, salted at random.
std::string HashPassword(std::string_view password);
// False for a wrong password and for a hash that is not a valid encoded string.
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);
// True when the hash is not argon2id at the current cost: rehash after a successful login.
bool PasswordNeedsRehash(std::string_view encoded_hash);

}  // namespace monotube::auth
