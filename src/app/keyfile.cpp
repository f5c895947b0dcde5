#include "hunter/app/keyfile.hpp"

#include "hunter/crypto/ss58.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace hunter::app {
namespace {

// Longer than any valid key file ("0x" + 64 digits + some whitespace); a larger file is refused
// without reading it all.
constexpr size_t kMaxKeyFileSize = 4096;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports close()'s error (it can carry a delayed write error).
  int close() {
    int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

// Wipes a buffer that held secret material when it goes out of scope.
template <class Buffer>
struct Wipe {
  Buffer& buffer;
  ~Wipe() { explicit_bzero(buffer.data(), buffer.size()); }
};

std::string errnoText(int err) { return std::strerror(err); }

// The path as a shell word, so that the suggested fix can be pasted as is.
std::string shellQuote(const std::string& path) {
  bool plain = !path.empty();
  for (char c : path) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("_-./+=:,@%").find(c) != std::string_view::npos;
    if (!ok) plain = false;
  }
  if (plain) return path;
  std::string out = "'";
  for (char c : path) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool isHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Best effort: makes the new directory entry durable. A failure here does not undo the write.
void syncParentDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

}  // namespace

Result<crypto::SecretKey> readDistinctKey(
    const std::vector<std::string>& paths, size_t index,
    const std::vector<std::optional<crypto::PublicKey>>& earlier) {
  HUNTER_TRY(auto key, readKeyFile(paths[index]));
  for (size_t i = 0; i < earlier.size() && i < index; ++i) {
    if (earlier[i] != key.publicKey()) continue;
    return makeError("duplicate_key",
                     "hunter.key_files[" + std::to_string(index) + "] (" + paths[index] +
                         ") holds the same key as hunter.key_files[" + std::to_string(i) + "] (" +
                         paths[i] + "), account " +
                         crypto::ss58Encode(crypto::accountId(key.publicKey())) +
                         ": list each account once (one account is one nonce sequence)");
  }
  return key;
}

Result<crypto::SecretKey> readKeyFile(const std::string& path) {
  // O_NONBLOCK keeps a FIFO from blocking the open; it is refused below as not a regular file.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    return makeError("io", fmt::format("cannot open key file {}: {}", path, errnoText(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return makeError("io", fmt::format("cannot stat key file {}: {}", path, errnoText(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return makeError("bad_key_file", fmt::format("key file {} is not a regular file", path));
  }
  if (st.st_uid != ::geteuid()) {
    return makeError("key_permissions",
                     fmt::format("key file {} is owned by uid {}, not by the current user (uid "
                                 "{}); fix with: chown {} {} (as root), or use your own key file",
                                 path, st.st_uid, ::geteuid(), ::geteuid(), shellQuote(path)));
  }
  if ((st.st_mode & 077) != 0) {
    return makeError("key_permissions",
                     fmt::format("key file {} has mode {:04o}, so group or others can access "
                                 "it; fix with: chmod 600 {}",
                                 path, st.st_mode & 07777, shellQuote(path)));
  }

  std::array<char, kMaxKeyFileSize + 1> buf{};
  Wipe<decltype(buf)> wipe{buf};
  size_t len = 0;
  while (len < buf.size()) {
    ssize_t r = ::read(fd.get(), buf.data() + len, buf.size() - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return makeError("io", fmt::format("cannot read key file {}: {}", path, errnoText(errno)));
    }
    if (r == 0) break;
    len += static_cast<size_t>(r);
  }
  if (len > kMaxKeyFileSize) {
    return makeError("bad_key_file",
                     fmt::format("key file {} is too large to be a key file (expected one line: "
                                 "0x followed by 64 hex digits)",
                                 path));
  }
  std::string_view text(buf.data(), len);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  bool wellFormed = text.size() == 66 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  for (size_t i = 2; wellFormed && i < text.size(); ++i) wellFormed = isHexDigit(text[i]);
  if (!wellFormed) {
    // Says nothing about the content: it may be a secret in another format.
    return makeError("bad_key_file",
                     fmt::format("key file {} is not in the key file format (one line: 0x "
                                 "followed by 64 hex digits)",
                                 path));
  }
  auto key = crypto::SecretKey::fromHex(text);
  if (!key.ok()) {
    return makeError("bad_key_file", fmt::format("key file {}: {}", path, key.error().message));
  }
  return key;
}

Status writeNewKeyFile(const std::string& path, const crypto::SecretKey& key) {
  // O_EXCL also refuses a dangling symlink at `path`, so the key cannot be redirected elsewhere.
  Fd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    int err = errno;
    if (err == EEXIST) {
      return makeError("exists",
                       fmt::format("key file {} already exists; refusing to overwrite it", path));
    }
    return makeError("io", fmt::format("cannot create key file {}: {}", path, errnoText(err)));
  }
  auto fail = [&](std::string_view what, int err) -> Status {
    ::unlink(path.c_str());
    return makeError("io", fmt::format("cannot {} key file {}: {}", what, path, errnoText(err)));
  };
  // The umask can only have removed bits; make the mode exactly 0600 either way.
  if (::fchmod(fd.get(), 0600) != 0) return fail("set the mode of", errno);

  std::string hex = toHex(key.secretBytes());
  Wipe<std::string> wipeHex{hex};
  // One buffer for the whole line, so that no reallocation leaves an unwiped copy behind.
  std::array<char, 2 + 64 + 1> line{};
  Wipe<decltype(line)> wipeLine{line};
  std::copy(hex.begin(), hex.end(), line.begin());
  line.back() = '\n';
  size_t done = 0;
  while (done < line.size()) {
    ssize_t r = ::write(fd.get(), line.data() + done, line.size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    done += static_cast<size_t>(r);
  }
  if (::fsync(fd.get()) != 0) return fail("sync", errno);
  if (fd.close() != 0) return fail("close", errno);
  syncParentDirectory(path);
  return okStatus();
}

}  // namespace hunter::app
