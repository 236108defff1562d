#pragma once
// Which entry (a site) a host name belongs to: the one table behind both SNI
// (tls::CertificateStore) and Host routing (proxy::SiteRouter), so the two
// cannot disagree. Built once off the hot path; lookups allocate nothing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringway::http {

class HostTable {
 public:
  HostTable() = default;
  // entries[i] lists the host names of entry i: exact names, or one leading
  // wildcard label ("*.example.org" covers "a.example.org", neither "example.org"
  // nor "a.b.example.org"). Names are normalised as lookups normalise them; a
  // name listed twice belongs to its first entry. default_entry answers names no
  // entry lists; it requires default_entry < entries.size().
  explicit HostTable(const std::vector<std::vector<std::string>>& entries,
                     std::optional<std::size_t> default_entry = std::nullopt);

  std::size_t size() const { return entry_count_; }
  std::optional<std::size_t> default_entry() const { return default_entry_; }

  // The entry for host, a bare name without port (the caller strips it, see
  // http::host_without_port), compared in ASCII lower case with one trailing dot
  // removed: an exact name first, then a wildcard, then the default. nullopt
  // when none applies. host may be empty (no SNI): the default.
  std::optional<std::size_t> find(std::string_view host) const;
  // The same without the default: nullopt when no entry lists host.
  std::optional<std::size_t> match(std::string_view host) const;

 private:
  // Hash and equality in ASCII lower case, over std::string_view too, so a
  // lookup neither copies nor lower-cases the name it is given.
  struct CaseFoldedHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const;
  };
  struct CaseFoldedEqual {
    using is_transparent = void;
    bool operator()(std::string_view left, std::string_view right) const;
  };
  using NameMap = std::unordered_map<std::string, std::size_t, CaseFoldedHash, CaseFoldedEqual>;

  NameMap exact_;     // name -> entry
  NameMap wildcard_;  // "example.org" for "*.example.org" -> entry
  std::size_t entry_count_ = 0;
  std::optional<std::size_t> default_entry_;
};

}  // namespace ringway::http
