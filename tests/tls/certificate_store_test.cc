// Loading certbot directories: validation errors, warnings, isolation, reload.
#include "ringway/tls/certificate_store.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "ringway/tls/crypto_build.h"
#include "test_certificates.h"

namespace ringway::tls {
namespace {

testing::LeafOptions leaf(std::string name) {
  testing::LeafOptions options;
  options.live_name = name;
  options.common_name = name;
  return options;
}

testing::CertificateFiles& files() {
  static testing::CertificateFiles instance;
  return instance;
}

SiteSettings site(const std::string& name, std::vector<std::string> directories) {
  return {name, {name}, std::move(directories)};
}

std::string all_text(const BuildResult& result) {
  std::string text;
  for (const StoreMessage& message : result.messages)
    text += message.site + ": " + message.text + "\n";
  return text;
}

TEST(CertificateStore, LoadsCertbotLayoutWithEcdsaAndRsaForOneName) {
  testing::LeafOptions rsa = leaf("both.test");
  rsa.live_name = "both.test-rsa";
  rsa.rsa = true;
  StoreSettings settings;
  settings.sites.push_back(
      site("both.test", {files().issue(leaf("both.test")), files().issue(rsa)}));
  BuildResult result = CertificateStore::build(settings);
  EXPECT_EQ(result.sites_loaded, 1u) << all_text(result);
  EXPECT_TRUE(result.messages.empty()) << all_text(result);
  EXPECT_NE(result.store->find("both.test", 0), nullptr);
}

TEST(CertificateStore, KeyMismatchIsReported) {
  testing::LeafOptions options = leaf("mismatch.test");
  options.mismatched_key = true;
  StoreSettings settings;
  settings.sites.push_back(site("mismatch.test", {files().issue(options)}));
  BuildResult result = CertificateStore::build(settings);
  EXPECT_EQ(result.sites_loaded, 0u);
  EXPECT_NE(all_text(result).find("privkey.pem does not match"), std::string::npos)
      << all_text(result);
}

TEST(CertificateStore, WrongChainOrderIsReported) {
  testing::LeafOptions options = leaf("order.test");
  options.chain_reversed = true;
  StoreSettings settings;
  settings.sites.push_back(site("order.test", {files().issue(options)}));
  BuildResult result = CertificateStore::build(settings);
  EXPECT_EQ(result.sites_loaded, 0u);
  EXPECT_NE(all_text(result).find("chain out of order"), std::string::npos) << all_text(result);
}

TEST(CertificateStore, ExpiredIsRefusedAndNearExpiryWarns) {
  testing::LeafOptions soon = leaf("soon.test");
  soon.days = 7;
  StoreSettings settings;
  settings.sites.push_back(site("soon.test", {files().issue(soon)}));
  BuildResult near = CertificateStore::build(settings);
  EXPECT_EQ(near.sites_loaded, 1u);
  ASSERT_EQ(near.messages.size(), 1u) << all_text(near);
  EXPECT_EQ(near.messages[0].level, MessageLevel::warning);
  EXPECT_NE(near.messages[0].text.find("expires on"), std::string::npos);

  settings.now_unix_s = std::time(nullptr) + 8 * 24 * 3600;
  BuildResult expired = CertificateStore::build(settings);
  EXPECT_EQ(expired.sites_loaded, 0u);
  EXPECT_NE(all_text(expired).find("certificate expired on"), std::string::npos)
      << all_text(expired);
}

TEST(CertificateStore, OneBrokenSiteDoesNotStopTheOthers) {
  StoreSettings settings;
  settings.sites.push_back(site("missing.test", {files().directory() + "/live/missing.test"}));
  settings.sites.push_back(site("good.test", {files().issue(leaf("good.test"))}));
  settings.default_host = "good.test";
  BuildResult result = CertificateStore::build(settings);
  EXPECT_EQ(result.sites_loaded, 1u);
  EXPECT_NE(all_text(result).find("missing.test: " + files().directory() +
                                  "/live/missing.test/fullchain.pem: No such file"),
            std::string::npos)
      << all_text(result);
  EXPECT_EQ(result.store->site_for("anything.test"), "good.test");
}

TEST(CertificateStore, ReloadReusesUnchangedFilesAndKeepsOldOnBrokenOnes) {
  std::string directory = files().issue(leaf("reload.test"));
  StoreSettings settings;
  settings.context_sets = 2;
  settings.sites.push_back(site("reload.test", {directory}));
  BuildResult first = CertificateStore::build(settings);
  ASSERT_EQ(first.sites_loaded, 1u);
  BuildResult again = CertificateStore::build(settings, first.store);
  EXPECT_EQ(again.store->find("reload.test", 1), first.store->find("reload.test", 1));

  ASSERT_TRUE(
      testing::run("echo broken > " + directory + "/../../archive/reload.test/fullchain1.pem"));
  BuildResult broken = CertificateStore::build(settings, again.store);
  EXPECT_EQ(broken.sites_loaded, 1u);
  EXPECT_NE(all_text(broken).find("keeping the certificates loaded before"), std::string::npos)
      << all_text(broken);
  EXPECT_EQ(broken.store->find("reload.test", 0), first.store->find("reload.test", 0));
}

TEST(CertificateStore, NameMatching) {
  StoreSettings settings;
  settings.sites.push_back({"exact", {"w.match.test"}, {files().issue(leaf("w.match.test"))}});
  settings.sites.push_back({"wild", {"*.match.test"}, {files().issue(leaf("match.test"))}});
  BuildResult result = CertificateStore::build(settings);
  const CertificateStore& store = *result.store;
  EXPECT_EQ(store.site_for("w.match.test"), "exact");
  EXPECT_EQ(store.site_for("W.Match.Test."), "exact");
  EXPECT_EQ(store.site_for("x.match.test"), "wild");
  EXPECT_EQ(store.site_for("a.x.match.test"), "exact");  // unknown: the default (first) site
  EXPECT_EQ(store.site_for("match.test"), "exact");
  EXPECT_EQ(store.site_for(""), "exact");
}

TEST(CertificateStore, EmptyStoreServesNothing) {
  BuildResult result = CertificateStore::build({});
  EXPECT_TRUE(result.store->empty());
  EXPECT_EQ(result.store->default_context(0), nullptr);
}

TEST(CryptoBuild, DescribesTheLibrary) {
  CryptoBuild build = crypto_build();
  EXPECT_FALSE(build.library_version.empty());
  EXPECT_NE(describe(build).find("wolfSSL "), std::string::npos);
#ifdef RINGWAY_WOLFSSL_FAST
  EXPECT_TRUE(build.aes_ni);
  EXPECT_TRUE(build.assembly_math);
  EXPECT_FALSE(slow_crypto_build(build));
#endif
}

}  // namespace
}  // namespace ringway::tls
