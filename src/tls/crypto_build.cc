#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <cpuid.h>
#include <wolfssl/ssl.h>

#include "ringway/tls/crypto_build.h"

namespace ringway::tls {

namespace {

bool cpu_reports_aes_ni() {
  unsigned int eax = 0;
  unsigned int ebx = 0;
  unsigned int ecx = 0;
  unsigned int edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_AES) != 0;
}

}  // namespace

CryptoBuild crypto_build() {
  CryptoBuild build;
  build.library_version = wolfSSL_lib_version();
#ifdef WOLFSSL_AESNI
  build.aes_ni = true;
#endif
#ifdef USE_INTEL_SPEEDUP
  build.intel_speedup = true;
#endif
#if defined(WOLFSSL_SP_X86_64_ASM) || defined(WOLFSSL_X86_64_BUILD_ASM)
  build.assembly_math = true;
#endif
  build.cpu_has_aes_ni = cpu_reports_aes_ni();
  return build;
}

std::string describe(const CryptoBuild& build) {
  auto yes_no = [](bool value) { return value ? "yes" : "no"; };
  std::string line = "wolfSSL ";
  line += build.library_version;
  line += ": AES-NI ";
  line += yes_no(build.aes_ni);
  line += ", AVX speedups ";
  line += yes_no(build.intel_speedup);
  line += ", assembly math ";
  line += yes_no(build.assembly_math);
  line += ", CPU AES-NI ";
  line += yes_no(build.cpu_has_aes_ni);
  return line;
}

bool slow_crypto_build(const CryptoBuild& build) {
  return build.cpu_has_aes_ni && !build.aes_ni;
}

}  // namespace ringway::tls
