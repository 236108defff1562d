#pragma once
// A temporary directory laid out like the parts of /proc and /boot the
// preflight reads, removed when the test ends.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "ringway/preflight/host_facts.h"
#include "ringway/preflight/sysctl_file.h"

namespace ringway::preflight {

class PreparedTree {
 public:
  PreparedTree() {
    std::string pattern = "/tmp/ringway-preflight-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    root_ = pattern;
  }
  PreparedTree(const PreparedTree&) = delete;
  PreparedTree& operator=(const PreparedTree&) = delete;
  ~PreparedTree() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  void write(const std::string& relative, std::string_view text) const {
    std::filesystem::path path = std::filesystem::path(root_) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  void sysctl(std::string_view key, std::string_view value) const {
    write("proc/sys/" + sysctl_key_path(key), std::string(value) + "\n");
  }

  // Paths into the tree; nothing of the machine running the test is read.
  HostPaths paths() const {
    HostPaths paths;
    paths.proc_sys = root_ + "/proc/sys";
    paths.proc = root_ + "/proc";
    paths.boot = root_ + "/boot";
    paths.kernel_release = "6.1.0-test";
    paths.read_interfaces = false;
    paths.read_process = false;
    paths.probe_socket = false;
    return paths;
  }

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace ringway::preflight
