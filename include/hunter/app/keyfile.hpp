#pragma once
// Secret key files of the hunter account.
//
// Format: one line "0x" followed by the 64 hex digits of the secp256k1 secret key, then a
// newline. Reading accepts upper-case digits, a "0X" prefix and any trailing whitespace; nothing
// else may be in the file.
//
// The secret never appears in an error message: errors name the file and the problem only.
#include <string>

#include "hunter/crypto/keys.hpp"
#include "hunter/util/result.hpp"

namespace hunter::app {

// Reads a key file. Refuses (code "key_permissions", with the chmod/chown command that fixes it
// in the message) a file that group or others may access or that is not owned by the effective
// user, and anything that is not a regular file. Other error codes: "io" (cannot open or read),
// "bad_key_file" (not the format above, or not a valid secp256k1 secret key).
Result<crypto::SecretKey> readKeyFile(const std::string& path);

// Creates `path` with mode 0600 (O_CREAT | O_EXCL, so an existing file or symlink is never
// overwritten or followed), writes the key in the format above and fsyncs it. Errors: "exists"
// when the path already exists, "io" otherwise; on a write failure the new file is removed.
Status writeNewKeyFile(const std::string& path, const crypto::SecretKey& key);

}  // namespace hunter::app
