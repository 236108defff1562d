#pragma once
// A certificate store for a test: every message the build reports fails the test.

#include <gtest/gtest.h>

#include <memory>

#include "ringway/tls/certificate_store.h"

namespace ringway::tls::testing {

inline std::shared_ptr<const CertificateStore> built_store(const StoreSettings& settings) {
  BuildResult result = CertificateStore::build(settings);
  for (const StoreMessage& message : result.messages) {
    ADD_FAILURE() << message.site << ": " << message.text;
  }
  return result.store;
}

}  // namespace ringway::tls::testing
