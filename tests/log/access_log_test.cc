#include "ringway/log/access_log.h"

#include <cstdlib>
#include <new>
#include <random>
#include <string>

#include <gtest/gtest.h>

// Counts allocations made by this thread while a test holds AllocationCounter,
// to check the formatting path allocates nothing when `out` has capacity.
namespace {
thread_local bool counting_allocations = false;
thread_local int allocation_count = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting_allocations) ++allocation_count;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace ringway::log {
namespace {

class AllocationCounter {
 public:
  AllocationCounter() {
    allocation_count = 0;
    counting_allocations = true;
  }
  ~AllocationCounter() { counting_allocations = false; }
  int count() const { return allocation_count; }
};

// 2026-11-25T22:51:55.123456789Z
constexpr std::int64_t start_unix_ns = 1'795'647'115'123'456'789;

AccessEntry typical_entry() {
  return AccessEntry{
      .remote_ip = "127.0.0.1",
      .method = "GET",
      .target = "/index.html?q=1",
      .version_minor = 1,
      .host = "example.com",
      .user_agent = "curl/8.5.0",
      .referer = "",
      .status = 200,
      .body_bytes = 612,
      .start_unix_ns = start_unix_ns,
      .duration_ns = 1'500'000,
  };
}

std::string combined(const AccessEntry& entry) {
  std::string out;
  append_combined(entry, out);
  return out;
}

std::string json(const AccessEntry& entry) {
  std::string out;
  append_json(entry, out);
  return out;
}

TEST(AppendCombined, TypicalLine) {
  EXPECT_EQ(combined(typical_entry()),
            "127.0.0.1 - - [25/Nov/2026:22:51:55 +0000] \"GET /index.html?q=1 HTTP/1.1\" 200 612 "
            "\"-\" \"curl/8.5.0\"\n");
}

TEST(AppendCombined, AppendsToExistingText) {
  std::string out = "before\n";
  AccessEntry entry = typical_entry();
  entry.remote_ip = "::1";
  entry.method = "HEAD";
  entry.version_minor = 0;
  entry.status = 404;
  entry.body_bytes = 0;
  entry.user_agent = "";
  entry.referer = "https://example.org/from";
  append_combined(entry, out);
  EXPECT_EQ(out,
            "before\n::1 - - [25/Nov/2026:22:51:55 +0000] \"HEAD /index.html?q=1 HTTP/1.0\" 404 0 "
            "\"https://example.org/from\" \"-\"\n");
}

TEST(AppendCombined, EscapesLikeNginx) {
  AccessEntry entry = typical_entry();
  entry.target = "/a\"b\\c\x01\x7f\xc3\xa9 d";
  entry.user_agent = "evil\n\"agent\"";
  entry.referer = "\x1b[31m";
  EXPECT_EQ(combined(entry),
            "127.0.0.1 - - [25/Nov/2026:22:51:55 +0000] \"GET /a\\x22b\\x5Cc\\x01\\x7F\\xC3\\xA9 d "
            "HTTP/1.1\" 200 612 \"\\x1B[31m\" \"evil\\x0A\\x22agent\\x22\"\n");
}

TEST(AppendCombined, TimeIsWhenTheRequestEnded) {
  AccessEntry entry = typical_entry();
  entry.start_unix_ns = 1'798'761'599'999'999'999;  // 2026-12-31T23:59:59.999999999Z
  entry.duration_ns = 1;
  EXPECT_NE(combined(entry).find("[01/Jan/2027:00:00:00 +0000]"), std::string::npos);
}

struct TimeCase {
  std::int64_t start_unix_ns;
  std::string_view expected;
};

TEST(AppendCombined, TimesAcrossTheCalendar) {
  constexpr std::int64_t second_ns = 1'000'000'000;
  const TimeCase cases[] = {
      {0, "01/Jan/1970:00:00:00 +0000"},
      {951'868'800 * second_ns, "01/Mar/2000:00:00:00 +0000"},
      {1'709'208'000 * second_ns, "29/Feb/2024:12:00:00 +0000"},
      {1'795'647'115 * second_ns, "25/Nov/2026:22:51:55 +0000"},
      {4'107'542'399 * second_ns, "28/Feb/2100:23:59:59 +0000"},
      {4'107'542'400 * second_ns, "01/Mar/2100:00:00:00 +0000"},
      {INT64_MAX, "11/Apr/2262:23:47:16 +0000"},
      // A clock before 1970 is nonsense; it clamps rather than corrupting the line.
      {-5 * second_ns, "01/Jan/1970:00:00:00 +0000"},
      // Back to an earlier second: the per-thread cache must not serve a stale text.
      {1'795'647'115 * second_ns, "25/Nov/2026:22:51:55 +0000"},
      {1'795'647'116 * second_ns, "25/Nov/2026:22:51:56 +0000"},
  };
  for (const TimeCase& test : cases) {
    SCOPED_TRACE(test.start_unix_ns);
    AccessEntry entry = typical_entry();
    entry.start_unix_ns = test.start_unix_ns;
    entry.duration_ns = 0;
    std::string line = combined(entry);
    EXPECT_NE(line.find("[" + std::string(test.expected) + "]"), std::string::npos) << line;
  }
  // The end time saturates instead of overflowing.
  AccessEntry entry = typical_entry();
  entry.start_unix_ns = INT64_MAX;
  entry.duration_ns = INT64_MAX;
  EXPECT_NE(combined(entry).find("[11/Apr/2262:23:47:16 +0000]"), std::string::npos);
}

TEST(AppendJson, TypicalLine) {
  EXPECT_EQ(json(typical_entry()),
            R"({"level":"info","ts":1795647115.124956,"logger":"http.log.access",)"
            R"("msg":"handled request","request":{"remote_ip":"127.0.0.1","proto":"HTTP/1.1",)"
            R"("method":"GET","host":"example.com","uri":"/index.html?q=1",)"
            R"("headers":{"User-Agent":["curl/8.5.0"]}},"bytes_read":0,"duration":0.001500000,)"
            R"("size":612,"status":200})"
            "\n");
}

TEST(AppendJson, EmptyHeadersAreLeftOut) {
  AccessEntry entry = typical_entry();
  entry.user_agent = "";
  entry.host = "";
  entry.version_minor = 0;
  entry.duration_ns = 2'000'000'003;
  EXPECT_EQ(json(entry),
            R"({"level":"info","ts":1795647117.123456,"logger":"http.log.access",)"
            R"("msg":"handled request","request":{"remote_ip":"127.0.0.1","proto":"HTTP/1.0",)"
            R"("method":"GET","host":"","uri":"/index.html?q=1","headers":{}},"bytes_read":0,)"
            R"("duration":2.000000003,"size":612,"status":200})"
            "\n");
  entry.referer = "https://example.org/";
  EXPECT_NE(json(entry).find(R"("headers":{"Referer":["https://example.org/"]}})"),
            std::string::npos);
  entry.user_agent = "ua";
  EXPECT_NE(
      json(entry).find(R"("headers":{"User-Agent":["ua"],"Referer":["https://example.org/"]}})"),
      std::string::npos);
}

TEST(AppendJson, NegativeDurationIsZero) {
  AccessEntry entry = typical_entry();
  entry.duration_ns = -5;
  EXPECT_NE(json(entry).find(R"("ts":1795647115.123456,)"), std::string::npos);
  EXPECT_NE(json(entry).find(R"("duration":0.000000000,)"), std::string::npos);
}

struct EscapeCase {
  std::string_view input;
  std::string_view expected;
};

TEST(AppendJson, EscapesStrings) {
  const EscapeCase cases[] = {
      {"plain", "plain"},
      {"q\"b\\", R"(q\"b\\)"},
      {"\n\t\x01\x1f", R"(\u000a\u0009\u0001\u001f)"},
      {"del\x7f", R"(del\u007f)"},
      // Well-formed UTF-8 stays as it is: é, €, U+10FFFF, an emoji.
      {"\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80",
       "\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80"},
      // Each byte of an ill-formed sequence is escaped on its own.
      {"\x80", R"(\u0080)"},
      {"\xc0\xaf", R"(\u00c0\u00af)"},                      // overlong '/'
      {"\xed\xa0\x80", R"(\u00ed\u00a0\u0080)"},            // surrogate U+D800
      {"\xf4\x90\x80\x80", R"(\u00f4\u0090\u0080\u0080)"},  // above U+10FFFF
      {"\xe0\x9f\xbf", R"(\u00e0\u009f\u00bf)"},            // overlong 3 bytes
      {"\xf0\x8f\xbf\xbf", R"(\u00f0\u008f\u00bf\u00bf)"},  // overlong 4 bytes
      {"a\xe2\x82", R"(a\u00e2\u0082)"},                    // cut short at the end
      {"\xe2\x82"
       "A",
       R"(\u00e2\u0082A)"},  // cut short by ASCII
      {"\xff\xfe", R"(\u00ff\u00fe)"},
  };
  for (const EscapeCase& test : cases) {
    SCOPED_TRACE(::testing::PrintToString(std::string(test.input)));
    AccessEntry entry = typical_entry();
    entry.target = test.input;
    std::string line = json(entry);
    std::string expected = R"("uri":")" + std::string(test.expected) + R"(",)";
    EXPECT_NE(line.find(expected), std::string::npos) << line;
  }
}

// A small strict JSON checker: enough to prove each line is one well-formed
// object with well-formed UTF-8, without a JSON library in the test.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : text_(text) {}

  bool is_one_object() {
    if (!object()) return false;
    return position_ == text_.size();
  }

 private:
  bool at(char expected) const { return position_ < text_.size() && text_[position_] == expected; }
  bool take(char expected) {
    if (!at(expected)) return false;
    ++position_;
    return true;
  }

  bool value() {
    if (at('{')) return object();
    if (at('[')) return array();
    if (at('"')) return string();
    return number();
  }

  bool object() {
    if (!take('{')) return false;
    if (take('}')) return true;
    do {
      if (!string() || !take(':') || !value()) return false;
    } while (take(','));
    return take('}');
  }

  bool array() {
    if (!take('[')) return false;
    if (take(']')) return true;
    do {
      if (!value()) return false;
    } while (take(','));
    return take(']');
  }

  bool number() {
    std::size_t start = position_;
    take('-');
    while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_])))
      ++position_;
    if (take('.')) {
      std::size_t fraction_start = position_;
      while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_])))
        ++position_;
      if (position_ == fraction_start) return false;
    }
    return position_ > start;
  }

  bool string() {
    if (!take('"')) return false;
    while (position_ < text_.size()) {
      auto byte = static_cast<unsigned char>(text_[position_]);
      if (byte == '"') {
        ++position_;
        return true;
      }
      if (byte < 0x20) return false;
      if (byte == '\\') {
        if (!escape()) return false;
      } else if (byte >= 0x80) {
        if (!utf8_character()) return false;
      } else {
        ++position_;
      }
    }
    return false;
  }

  bool escape() {
    ++position_;
    if (position_ >= text_.size()) return false;
    char kind = text_[position_++];
    if (std::string_view("\"\\/bfnrt").find(kind) != std::string_view::npos) return true;
    if (kind != 'u' || position_ + 4 > text_.size()) return false;
    for (int index = 0; index < 4; ++index) {
      if (!std::isxdigit(static_cast<unsigned char>(text_[position_++]))) return false;
    }
    return true;
  }

  // Decodes one character and rejects overlongs, surrogates and values past U+10FFFF.
  bool utf8_character() {
    auto lead = static_cast<unsigned char>(text_[position_]);
    int length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    if (length == 0 || lead > 0xf7 || position_ + length > text_.size()) return false;
    std::uint32_t code_point = lead & (0x7f >> length);
    for (int index = 1; index < length; ++index) {
      auto next = static_cast<unsigned char>(text_[position_ + index]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length] || code_point > 0x10ffff) return false;
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
    position_ += length;
    return true;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

TEST(JsonChecker, AcceptsAndRejects) {
  EXPECT_TRUE(JsonChecker(R"({"a":[1,2.5,{"b":"\u00e9\n"}],"c":-3})").is_one_object());
  EXPECT_TRUE(JsonChecker("{\"a\":\"\xc3\xa9\"}").is_one_object());
  EXPECT_FALSE(JsonChecker(R"({"a":1)").is_one_object());
  EXPECT_FALSE(JsonChecker(R"({"a":1}x)").is_one_object());
  EXPECT_FALSE(JsonChecker("{\"a\":\"\x01\"}").is_one_object());
  EXPECT_FALSE(JsonChecker("{\"a\":\"\xc0\xaf\"}").is_one_object());
  EXPECT_FALSE(JsonChecker("{\"a\":\"\xed\xa0\x80\"}").is_one_object());
  EXPECT_FALSE(JsonChecker(R"({"a":"\x"})").is_one_object());
  EXPECT_FALSE(JsonChecker(R"({"a":1.})").is_one_object());
}

// Random bytes, biased towards the ones that need escaping.
std::string random_field(std::mt19937& random) {
  static constexpr char interesting[] =
      "\"\\\n\x01\x7f\x80\xbf\xc0\xc3\xa9\xe2\x82\xac\xed\xa0\xf0\x9f\x98\xf4\xff a/";
  std::uniform_int_distribution<int> length_distribution(0, 24);
  std::uniform_int_distribution<int> byte_distribution(0, 255);
  std::uniform_int_distribution<int> pick_distribution(0, sizeof interesting - 2);
  std::string field;
  for (int count = length_distribution(random); count > 0; --count) {
    field.push_back(byte_distribution(random) % 2 == 0
                        ? interesting[pick_distribution(random)]
                        : static_cast<char>(byte_distribution(random)));
  }
  return field;
}

TEST(AccessLog, RandomEntriesGiveWellFormedLines) {
  std::mt19937 random(20261125);
  for (int round = 0; round < 2000; ++round) {
    std::string fields[6];
    for (std::string& field : fields) field = random_field(random);
    AccessEntry entry{
        .remote_ip = fields[0],
        .method = fields[1],
        .target = fields[2],
        .version_minor = static_cast<std::uint8_t>(random() % 2),
        .host = fields[3],
        .user_agent = fields[4],
        .referer = fields[5],
        .status = static_cast<int>(100 + random() % 500),
        .body_bytes = random(),
        .start_unix_ns = static_cast<std::int64_t>(random()) * 1'000'000'000,
        .duration_ns = static_cast<std::int64_t>(random()),
    };
    std::string json_line = json(entry);
    std::string combined_line = combined(entry);
    SCOPED_TRACE(::testing::PrintToString(json_line));
    ASSERT_FALSE(json_line.empty());
    EXPECT_EQ(json_line.find('\n'), json_line.size() - 1);
    EXPECT_TRUE(
        JsonChecker(std::string_view(json_line).substr(0, json_line.size() - 1)).is_one_object());
    EXPECT_EQ(combined_line.find('\n'), combined_line.size() - 1);
    for (std::size_t index = 0; index + 1 < combined_line.size(); ++index) {
      auto byte = static_cast<unsigned char>(combined_line[index]);
      ASSERT_TRUE(byte >= 0x20 && byte < 0x7f) << combined_line;
    }
    EXPECT_LE(json_line.size(), line_bytes_max(entry));
    EXPECT_LE(combined_line.size(), line_bytes_max(entry));
  }
}

TEST(AccessLog, AllocationCounterSeesAGrowingString) {
  std::string out;
  int allocations = 0;
  {
    AllocationCounter counter;
    append_json(typical_entry(), out);
    allocations = counter.count();
  }
  EXPECT_GT(allocations, 0);
}

TEST(AccessLog, NoAllocationWhenTheStringHasCapacity) {
  AccessEntry entry = typical_entry();
  entry.target = "/\xff\"escaped\"\x01";
  entry.referer = "https://example.org/";
  std::string out;
  out.reserve(4 * line_bytes_max(entry));
  const char* data_before = out.data();
  int allocations = 0;
  {
    AllocationCounter counter;
    for (int line = 0; line < 2; ++line) {
      entry.start_unix_ns += 1'000'000'000;  // a new second refills the time cache
      append_combined(entry, out);
      append_json(entry, out);
    }
    allocations = counter.count();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(out.data(), data_before);
}

}  // namespace
}  // namespace ringway::log
