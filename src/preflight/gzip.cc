// Inflate after Mark Adler's puff.c (zlib's contrib/puff): canonical Huffman
// codes decoded a bit at a time. Slow next to zlib, which does not matter for
// a 200 KB file read once at startup, and small enough to read in one go.

#include "ringway/preflight/gzip.h"

#include <array>
#include <cstdint>

namespace ringway::preflight {
namespace {

constexpr int max_bits = 15;      // longest code
constexpr int max_lengths = 286;  // literal/length codes
constexpr int max_distances = 30;
constexpr int fixed_lengths = 288;

class BitReader {
 public:
  explicit BitReader(std::string_view input) : input_(input) {}

  // The next `count` bits, least significant first; sets overrun() past the end.
  std::uint32_t bits(int count) {
    std::uint32_t value = buffer_;
    while (held_ < count) {
      if (position_ == input_.size()) {
        overrun_ = true;
        return 0;
      }
      value |= static_cast<std::uint32_t>(static_cast<unsigned char>(input_[position_++])) << held_;
      held_ += 8;
    }
    buffer_ = value >> count;
    held_ -= count;
    return value & ((1u << count) - 1);
  }

  void align_to_byte() {
    buffer_ = 0;
    held_ = 0;
  }

  bool take_bytes(std::size_t count, std::string_view& bytes) {
    if (input_.size() - position_ < count) {
      overrun_ = true;
      return false;
    }
    bytes = input_.substr(position_, count);
    position_ += count;
    return true;
  }

  bool overrun() const { return overrun_; }
  std::size_t position() const { return position_; }

 private:
  std::string_view input_;
  std::size_t position_ = 0;
  std::uint32_t buffer_ = 0;
  int held_ = 0;
  bool overrun_ = false;
};

struct Huffman {
  std::array<std::uint16_t, max_bits + 1> count{};    // codes of each length
  std::array<std::uint16_t, fixed_lengths> symbol{};  // symbols by code, canonical order
};

// Builds the decoding tables from code lengths. Returns 0 for a complete code,
// a negative number when over-subscribed, a positive one when incomplete.
int construct(Huffman& huffman, const std::uint16_t* lengths, int symbols) {
  huffman.count.fill(0);
  for (int symbol = 0; symbol < symbols; ++symbol) ++huffman.count[lengths[symbol]];
  if (huffman.count[0] == symbols) return 0;  // no codes: complete, and never decoded
  int left = 1;
  for (int length = 1; length <= max_bits; ++length) {
    left <<= 1;
    left -= huffman.count[length];
    if (left < 0) return left;
  }
  std::array<std::uint16_t, max_bits + 1> offsets{};
  for (int length = 1; length < max_bits; ++length) {
    offsets[length + 1] = static_cast<std::uint16_t>(offsets[length] + huffman.count[length]);
  }
  for (int symbol = 0; symbol < symbols; ++symbol) {
    if (lengths[symbol] != 0) {
      huffman.symbol[offsets[lengths[symbol]]++] = static_cast<std::uint16_t>(symbol);
    }
  }
  return left;
}

// The next symbol, or -1 when the bits match no code or the input ends.
int decode(BitReader& reader, const Huffman& huffman) {
  int code = 0;   // the bits read so far
  int first = 0;  // the first code of the current length
  int index = 0;  // the first symbol of the current length in `symbol`
  for (int length = 1; length <= max_bits; ++length) {
    code |= static_cast<int>(reader.bits(1));
    if (reader.overrun()) return -1;
    int count = huffman.count[length];
    if (code - count < first) return huffman.symbol[index + (code - first)];
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
  }
  return -1;
}

class Inflater {
 public:
  Inflater(BitReader& reader, std::string& output, std::size_t output_bytes_max)
      : reader_(reader), output_(output), output_bytes_max_(output_bytes_max) {}

  bool run() {
    for (;;) {
      std::uint32_t last = reader_.bits(1);
      std::uint32_t type = reader_.bits(2);
      if (reader_.overrun()) return false;
      bool ok = type == 0 ? stored() : type == 1 ? fixed() : type == 2 ? dynamic() : false;
      if (!ok) return false;
      if (last != 0) return true;
    }
  }

 private:
  bool stored() {
    reader_.align_to_byte();
    std::string_view header;
    if (!reader_.take_bytes(4, header)) return false;
    auto byte = [&](int index) {
      return static_cast<unsigned>(static_cast<unsigned char>(header[index]));
    };
    unsigned length = byte(0) | (byte(1) << 8);
    unsigned complement = byte(2) | (byte(3) << 8);
    if (length != (~complement & 0xffffu)) return false;
    std::string_view bytes;
    if (!reader_.take_bytes(length, bytes) || !room_for(length)) return false;
    output_.append(bytes);
    return true;
  }

  bool fixed() {
    std::array<std::uint16_t, fixed_lengths> lengths{};
    for (int symbol = 0; symbol < fixed_lengths; ++symbol) {
      lengths[symbol] = symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8;
    }
    Huffman length_code;
    construct(length_code, lengths.data(), fixed_lengths);
    lengths.fill(5);
    Huffman distance_code;
    construct(distance_code, lengths.data(), max_distances);
    return codes(length_code, distance_code);
  }

  bool dynamic() {
    static constexpr std::array<std::uint8_t, 19> order = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                           11, 4,  12, 3, 13, 2, 14, 1, 15};
    int length_count = static_cast<int>(reader_.bits(5)) + 257;
    int distance_count = static_cast<int>(reader_.bits(5)) + 1;
    int code_count = static_cast<int>(reader_.bits(4)) + 4;
    if (reader_.overrun() || length_count > max_lengths || distance_count > max_distances) {
      return false;
    }
    std::array<std::uint16_t, max_lengths + max_distances> lengths{};
    for (int index = 0; index < code_count; ++index) {
      lengths[order[index]] = static_cast<std::uint16_t>(reader_.bits(3));
    }
    Huffman length_code;
    if (reader_.overrun() || construct(length_code, lengths.data(), 19) != 0) return false;
    if (!read_lengths(length_code, lengths.data(), length_count + distance_count)) return false;
    if (lengths[256] == 0) return false;  // no end-of-block code
    // An incomplete code is allowed only when it has a single code.
    int error = construct(length_code, lengths.data(), length_count);
    if (error < 0 || (error > 0 && length_count - length_code.count[0] != 1)) return false;
    Huffman distance_code;
    error = construct(distance_code, lengths.data() + length_count, distance_count);
    if (error < 0 || (error > 0 && distance_count - distance_code.count[0] != 1)) return false;
    return codes(length_code, distance_code);
  }

  bool read_lengths(const Huffman& code, std::uint16_t* lengths, int total) {
    int index = 0;
    while (index < total) {
      int symbol = decode(reader_, code);
      if (symbol < 0) return false;
      if (symbol < 16) {
        lengths[index++] = static_cast<std::uint16_t>(symbol);
        continue;
      }
      std::uint16_t value = 0;
      int repeat = 0;
      if (symbol == 16) {
        if (index == 0) return false;
        value = lengths[index - 1];
        repeat = 3 + static_cast<int>(reader_.bits(2));
      } else if (symbol == 17) {
        repeat = 3 + static_cast<int>(reader_.bits(3));
      } else {
        repeat = 11 + static_cast<int>(reader_.bits(7));
      }
      if (reader_.overrun() || index + repeat > total) return false;
      while (repeat-- > 0) lengths[index++] = value;
    }
    return true;
  }

  bool codes(const Huffman& length_code, const Huffman& distance_code) {
    static constexpr std::array<std::uint16_t, 29> length_base = {
        3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
        31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr std::array<std::uint8_t, 29> length_extra = {
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr std::array<std::uint16_t, 30> distance_base = {
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr std::array<std::uint8_t, 30> distance_extra = {
        0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
        6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int symbol = decode(reader_, length_code);
      if (symbol < 0) return false;
      if (symbol < 256) {
        if (!room_for(1)) return false;
        output_.push_back(static_cast<char>(symbol));
        continue;
      }
      if (symbol == 256) return true;
      symbol -= 257;
      if (symbol >= 29) return false;
      std::size_t length = length_base[symbol] + reader_.bits(length_extra[symbol]);
      int distance_symbol = decode(reader_, distance_code);
      if (distance_symbol < 0 || distance_symbol >= 30) return false;
      std::size_t distance =
          distance_base[distance_symbol] + reader_.bits(distance_extra[distance_symbol]);
      if (reader_.overrun() || distance > output_.size() || !room_for(length)) return false;
      // Byte by byte: a copy may overlap the bytes it produces.
      std::size_t from = output_.size() - distance;
      for (std::size_t index = 0; index < length; ++index) output_.push_back(output_[from + index]);
    }
  }

  bool room_for(std::size_t bytes) const { return output_bytes_max_ - output_.size() >= bytes; }

  BitReader& reader_;
  std::string& output_;
  std::size_t output_bytes_max_;
};

std::uint32_t crc32(std::string_view data) {
  std::uint32_t crc = 0xffffffffu;
  for (char character : data) {
    crc ^= static_cast<unsigned char>(character);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::uint32_t little_endian32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int index = 3; index >= 0; --index) {
    value = (value << 8) | static_cast<unsigned char>(bytes[index]);
  }
  return value;
}

// Skips the gzip member header (RFC 1952); false when it is not one.
bool skip_header(BitReader& reader) {
  constexpr unsigned flag_hcrc = 2;
  constexpr unsigned flag_extra = 4;
  constexpr unsigned flag_name = 8;
  constexpr unsigned flag_comment = 16;
  std::string_view fixed;
  if (!reader.take_bytes(10, fixed)) return false;
  if (fixed[0] != '\x1f' || fixed[1] != '\x8b' || fixed[2] != 8) return false;
  auto flags = static_cast<unsigned char>(fixed[3]);
  std::string_view bytes;
  if ((flags & flag_extra) != 0) {
    if (!reader.take_bytes(2, bytes)) return false;
    std::size_t length = static_cast<unsigned char>(bytes[0]) |
                         (static_cast<std::size_t>(static_cast<unsigned char>(bytes[1])) << 8);
    if (!reader.take_bytes(length, bytes)) return false;
  }
  for (unsigned flag : {flag_name, flag_comment}) {
    if ((flags & flag) == 0) continue;
    do {
      if (!reader.take_bytes(1, bytes)) return false;
    } while (bytes[0] != '\0');
  }
  return (flags & flag_hcrc) == 0 || reader.take_bytes(2, bytes);
}

}  // namespace

std::optional<std::string> gunzip(std::string_view compressed, std::size_t output_bytes_max) {
  BitReader reader(compressed);
  if (!skip_header(reader)) return std::nullopt;
  std::string output;
  Inflater inflater(reader, output, output_bytes_max);
  if (!inflater.run()) return std::nullopt;
  reader.align_to_byte();
  std::string_view trailer;
  if (!reader.take_bytes(8, trailer)) return std::nullopt;
  if (little_endian32(trailer.substr(0, 4)) != crc32(output)) return std::nullopt;
  if (little_endian32(trailer.substr(4, 4)) != static_cast<std::uint32_t>(output.size())) {
    return std::nullopt;
  }
  return output;
}

}  // namespace ringway::preflight
