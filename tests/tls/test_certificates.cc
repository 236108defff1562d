#include "test_certificates.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace ringway::tls::testing {

bool run(const std::string& command) {
  std::string quiet = "(" + command + ") >/dev/null 2>/tmp/ringway-tls-openssl.log";
  if (std::system(quiet.c_str()) == 0) return true;
  std::fprintf(stderr, "failed: %s\n", command.c_str());
  std::system("cat /tmp/ringway-tls-openssl.log >&2");
  return false;
}

namespace {

std::string new_key(const std::string& path, bool rsa) {
  return rsa ? "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + path
             : "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + path;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

CertificateFiles::CertificateFiles() {
  char pattern[] = "/tmp/ringway-tls-test-XXXXXX";
  directory_ = mkdtemp(pattern);
  const std::string& d = directory_;
  write(d + "/ca.ext",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  run(new_key(d + "/root.key", false));
  run("openssl req -x509 -new -key " + d + "/root.key -subj /CN=ringway-test-root -days 3650 " +
      "-out " + d + "/root.pem");
  run(new_key(d + "/intermediate.key", false));
  run("openssl req -new -key " + d + "/intermediate.key -subj /CN=ringway-test-intermediate -out " +
      d + "/intermediate.csr");
  run("openssl x509 -req -in " + d + "/intermediate.csr -CA " + d + "/root.pem -CAkey " + d +
      "/root.key -CAcreateserial -days 3650 -extfile " + d + "/ca.ext -out " + d +
      "/intermediate.pem");
  root_pem_ = d + "/root.pem";
}

CertificateFiles::~CertificateFiles() {
  run("rm -rf " + directory_);
}

std::string CertificateFiles::issue(const LeafOptions& options) {
  const std::string& d = directory_;
  std::string archive = d + "/archive/" + options.live_name;
  std::string live = d + "/live/" + options.live_name;
  run("mkdir -p " + archive + " " + live);
  std::string names = "DNS:" + options.common_name;
  for (const std::string& name : options.extra_names) names += ",DNS:" + name;
  for (const std::string& address : options.addresses) names += ",IP:" + address;
  write(archive + "/leaf.ext", "basicConstraints=CA:FALSE\nsubjectAltName=" + names + "\n");
  run(new_key(archive + "/privkey1.pem", options.rsa));
  run("openssl req -new -key " + archive + "/privkey1.pem -subj '/CN=" + options.common_name +
      "' -out " + archive + "/leaf.csr");
  run("openssl x509 -req -in " + archive + "/leaf.csr -CA " + d + "/intermediate.pem -CAkey " + d +
      "/intermediate.key -CAcreateserial -days " + std::to_string(options.days) + " -extfile " +
      archive + "/leaf.ext -out " + archive + "/cert1.pem");
  if (options.chain_reversed) {
    run("cat " + d + "/intermediate.pem " + archive + "/cert1.pem > " + archive +
        "/fullchain1.pem");
  } else {
    run("cat " + archive + "/cert1.pem " + d + "/intermediate.pem > " + archive +
        "/fullchain1.pem");
  }
  if (options.mismatched_key) run(new_key(archive + "/privkey1.pem", options.rsa));
  // certbot's layout: live/ holds relative symlinks to the current archive files.
  run("ln -sfn ../../archive/" + options.live_name + "/fullchain1.pem " + live + "/fullchain.pem");
  run("ln -sfn ../../archive/" + options.live_name + "/privkey1.pem " + live + "/privkey.pem");
  return live;
}

}  // namespace ringway::tls::testing
