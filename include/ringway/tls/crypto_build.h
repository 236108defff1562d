#pragma once
// Which wolfSSL ringway runs on and whether its fast paths are compiled in.
// Debian's libwolfssl has no AES-NI and no assembly math (25x slower AES-GCM),
// so `ringway version`, `ringway check` and the startup log say which one it is.

#include <string>
#include <string_view>

namespace ringway::tls {

struct CryptoBuild {
  std::string_view library_version;  // wolfSSL's own version string, e.g. "5.5.4"
  bool aes_ni = false;               // AES-GCM with AES-NI/PCLMULQDQ (WOLFSSL_AESNI)
  bool intel_speedup = false;        // AVX paths for SHA-2, ChaCha20, Poly1305 (USE_INTEL_SPEEDUP)
  bool assembly_math = false;   // x86-64 assembly for P-256, X25519, RSA (WOLFSSL_SP_X86_64_ASM)
  bool cpu_has_aes_ni = false;  // this CPU reports AES-NI (cpuid leaf 1, ECX bit 25)
};

// Read from wolfSSL's build macros and the CPU; cheap, callable from any thread.
CryptoBuild crypto_build();

// One line for logs and `ringway version`, e.g.
// "wolfSSL 5.5.4: AES-NI yes, AVX speedups yes, assembly math yes, CPU AES-NI yes".
std::string describe(const CryptoBuild& build);

// True when the CPU could run AES-NI but this build does not use it: the
// `ringway check` warning (the fix is the default -Dwolfssl=fast build).
bool slow_crypto_build(const CryptoBuild& build);

}  // namespace ringway::tls
