#pragma once
// Certificates made at test time with the openssl CLI, laid out like certbot:
// live/<name>/{fullchain,privkey}.pem are symlinks into archive/<name>/.

#include <string>
#include <vector>

namespace ringway::tls::testing {

struct LeafOptions {
  std::string live_name;    // directory under live/
  std::string common_name;  // also the first subjectAltName
  std::vector<std::string> extra_names;
  std::vector<std::string> addresses;  // IP subjectAltNames
  bool rsa = false;                    // ECDSA P-256 otherwise
  int days = 90;
  bool chain_reversed = false;  // intermediate before the leaf
  bool mismatched_key = false;  // privkey.pem from another key pair
};

class CertificateFiles {
 public:
  // Makes a temporary directory with a root and an intermediate CA (ECDSA P-256).
  CertificateFiles();
  ~CertificateFiles();
  CertificateFiles(const CertificateFiles&) = delete;
  CertificateFiles& operator=(const CertificateFiles&) = delete;

  // Issues a leaf from the intermediate; returns its live/<name> directory.
  std::string issue(const LeafOptions& options);
  const std::string& root_pem() const { return root_pem_; }
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  std::string root_pem_;
};

// Runs a shell command; false when it fails (its output goes to stderr).
bool run(const std::string& command);

}  // namespace ringway::tls::testing
