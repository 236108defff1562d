#include "table_reader.h"

#include <optional>

#include "duration.h"
#include "listen_address.h"

namespace ringway::config {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

const toml::value<std::string>* take_string(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return nullptr;
  const toml::value<std::string>* text = node->as_string();
  if (text == nullptr) reader.wrong_type(*node, key, "a string");
  return text;
}

void read_boolean(TableReader& reader, std::string_view key, bool& target) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return;
  const toml::value<bool>* value = node->as_boolean();
  if (value == nullptr) return reader.wrong_type(*node, key, "true or false");
  target = value->get();
}

void read_duration(TableReader& reader, std::string_view key, std::uint32_t& target_ms) {
  const toml::node* node = reader.take(key);
  if (node == nullptr) return;
  std::string error;
  std::optional<std::uint32_t> duration_ms;
  if (const auto* text = node->as_string()) {
    duration_ms = parse_duration_ms(text->get(), error);
  } else if (const auto* seconds = node->as_integer()) {
    duration_ms = duration_from_seconds(seconds->get(), error);
  } else {
    return reader.wrong_type(*node, key, "a duration like \"10s\" or an integer of seconds");
  }
  if (!duration_ms) return reader.error(*node, key, error);
  target_ms = *duration_ms;
}

bool is_absolute_path(std::string_view path) {
  // A NUL would silently cut the path short when it reaches open(2).
  return path.starts_with('/') && path.find('\0') == path.npos;
}

void read_listen(TableReader& reader, std::vector<ListenAddress>& listen) {
  const toml::node* node = reader.take("listen");
  if (node == nullptr) return reader.missing("listen");
  const toml::array* array = node->as_array();
  if (array == nullptr) return reader.wrong_type(*node, "listen", "an array of strings");
  if (array->empty()) return reader.error(*node, "listen", "must list at least one address");

  std::vector<std::size_t> indexes;  // listen[i] was written at array index indexes[i]
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node& element = *array->get(index);
    std::string key = fmt::format("listen[{}]", index);
    const toml::value<std::string>* text = element.as_string();
    if (text == nullptr) {
      reader.wrong_type(element, key, "a string");
      continue;
    }
    std::string error;
    std::optional<ListenAddress> address = parse_listen_address(text->get(), error);
    if (!address) {
      reader.error(element, key, error);
      continue;
    }
    auto same = std::find_if(listen.begin(), listen.end(), [&](const ListenAddress& earlier) {
      return same_endpoint(earlier, *address);
    });
    if (same != listen.end()) {
      std::size_t earlier_index = indexes[static_cast<std::size_t>(same - listen.begin())];
      reader.error(
          element, key,
          fmt::format("duplicate of {}", reader.path_of(fmt::format("listen[{}]", earlier_index))));
      continue;
    }
    listen.push_back(std::move(*address));
    indexes.push_back(index);
  }
}

}  // namespace ringway::config
