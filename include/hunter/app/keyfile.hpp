#pragma once
// Secret key files of the hunter account.
//
// Format: one line "0x" followed by the 64 hex digits of the secp256k1 secret key, then a
// newline. Reading accepts upper-case digits, a "0X" prefix and any trailing whitespace; nothing
// else may be in the file.
//
// The secret never appears in an error message: errors name the file and the problem only.
#include <optional>
#include <string>
#include <vector>

#include "hunter/crypto/keys.hpp"
#include "hunter/util/result.hpp"

namespace hunter::app {

// Reads a key file. Refuses (code "key_permissions", with the chmod/chown command that fixes it
// in the message) a file that group or others may access or that is not owned by the effective
// user, and anything that is not a regular file. Other error codes: "io" (cannot open or read),
// "bad_key_file" (not the format above, or not a valid secp256k1 secret key).
Result<crypto::SecretKey> readKeyFile(const std::string& path);

// The key of `paths[index]`, refused with code "duplicate_key" when an earlier path holds the same
// key (a copy, a symlink, another spelling of the path): one account is one nonce sequence, and
// two "accounts" sharing it refuse each other's transactions. `earlier[i]` is the public key read
// from paths[i] (nullopt if it could not be read). The error names both hunter.key_files entries
// and the account (SS58), never the secret.
Result<crypto::SecretKey> readDistinctKey(
    const std::vector<std::string>& paths, size_t index,
    const std::vector<std::optional<crypto::PublicKey>>& earlier);

// Creates `path` with mode 0600 (O_CREAT | O_EXCL, so an existing file or symlink is never
// overwritten or followed), writes the key in the format above and fsyncs it. Errors: "exists"
// when the path already exists, "io" otherwise; on a write failure the new file is removed.
Status writeNewKeyFile(const std::string& path, const crypto::SecretKey& key);

}  // namespace hunter::app
