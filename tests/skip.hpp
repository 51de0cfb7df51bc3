// Test cases that need something the machine may lack (root for a tmpfs, a small file system) are
// reported to ctest as skipped, not passed: COMMSIM_SKIP prints the marker that tests/CMakeLists.txt
// gives ctest as SKIP_REGULAR_EXPRESSION (Catch2 v2 has no skip of its own; WARN alone passes).
#pragma once

#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>

#define COMMSIM_SKIP(why)                       \
  do {                                          \
    WARN("COMMSIM_SKIPPED: " << why);           \
    return;                                     \
  } while (0)

namespace commsim::test {

// A tmpfs of `size` (e.g. "64k") mounted on an existing directory for the object's lifetime; needs
// root and CAP_SYS_ADMIN, mounted() says whether it worked.
class SmallFs {
 public:
  SmallFs(std::string dir, const std::string& size) : dir_(std::move(dir)) {
    mounted_ = ::mount("commsim-test", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallFs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallFs(const SmallFs&) = delete;
  SmallFs& operator=(const SmallFs&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

}  // namespace commsim::test
