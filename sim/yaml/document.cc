#include "sim/yaml/document.h"

#include <yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace meshsim::sim::yaml {

std::string Location::toString() const {
  if (line <= 0) {
    return file;
  }
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Location Document::locate(const YAML::Node& node) const {
  if (!node.IsDefined()) {
    return {file, 0, 0};
  }
  const YAML::Mark m = node.Mark();
  if (m.is_null()) {
    return {file, 0, 0};
  }
  return {file, m.line + line_offset, m.column + column_offset};
}

namespace {

// A mapping or sequence node by where it starts: aliases of one anchored node share it, and
// no two different collections start at the same place (a block mapping starts where its first
// key does, but that key is a scalar). Walking each once keeps a "billion laughs" document of
// nested aliases linear.
uint64_t collectionId(const YAML::Node& node) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(node.Mark().pos)) << 2) |
         (node.IsMap() ? 1U : 2U);
}

// The field path of the collection that starts at `target` ("spec.traffic[0]"), by a walk from
// `root`; only called to word an error, so it may take its time.
std::string pathTo(const YAML::Node& root, uint64_t target) {
  std::vector<std::pair<YAML::Node, std::string>> stack = {{root, ""}};
  std::unordered_set<uint64_t> seen;
  while (!stack.empty()) {
    auto [node, path] = std::move(stack.back());
    stack.pop_back();
    if (!node.IsMap() && !node.IsSequence()) {
      continue;
    }
    const uint64_t id = collectionId(node);
    if (id == target) {
      return path;
    }
    if (!seen.insert(id).second) {
      continue;
    }
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
        stack.emplace_back(it->second, path.empty() ? key : path + "." + key);
      }
    } else {
      for (size_t i = 0; i < node.size(); ++i) {
        stack.emplace_back(node[i], path + "[" + std::to_string(i) + "]");
      }
    }
  }
  return "";
}

// YAML 1.2 requires the keys of a mapping to be unique, and kubectl refuses a key twice; yaml-cpp
// keeps both entries and its lookups find the first, so a second `from:` would be silently ignored.
// Names both places. Each collection is visited once, however many aliases point at it.
Status checkDuplicateKeys(const Document& doc) {
  std::vector<YAML::Node> stack = {doc.root};
  std::unordered_set<uint64_t> seen;
  std::unordered_map<std::string_view, YAML::Mark> keys;
  while (!stack.empty()) {
    const YAML::Node node = std::move(stack.back());
    stack.pop_back();
    if ((!node.IsMap() && !node.IsSequence()) || !seen.insert(collectionId(node)).second) {
      continue;
    }
    if (node.IsSequence()) {
      for (const auto& item : node) {
        stack.push_back(item);
      }
      continue;
    }
    keys.clear();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar()) {
        const auto [first, inserted] = keys.emplace(it->first.Scalar(), it->first.Mark());
        if (!inserted) {
          const Location here = doc.locate(it->first);
          const int first_line = first->second.line + doc.line_offset;
          const int first_column = first->second.column + doc.column_offset;
          const std::string path = pathTo(doc.root, collectionId(node));
          const std::string& key = it->first.Scalar();
          return errorAt(here, path.empty() ? key : path + "." + key,
                         "duplicate key \"" + key + "\" (first at " +
                             Location{doc.file, first_line, first_column}.toString() +
                             "): YAML allows a key once per mapping");
        }
      }
      stack.push_back(it->second);
    }
  }
  return okStatus();
}

// Deeper than any Kubernetes or Istio object goes, and shallow enough for every recursive walk
// of a tree (yaml-cpp's emitter and Clone, the export) to stay far from the end of the stack.
constexpr int kMaxDepth = 1000;

// The place of a libyaml mark in the file that `text` was taken from.
Location placeOf(const yaml_mark_t& mark, const std::string& file, int first_line, int indent) {
  return {file, static_cast<int>(mark.line) + first_line,
          static_cast<int>(mark.column) + 1 + indent};
}

// Builds the yaml-cpp tree of one document from libyaml's events, as yaml-cpp's own builder
// does from its parser's: the same node types, tags ("?" for a plain scalar or a collection
// without a tag, "!" for a quoted or block scalar), styles, marks and null rules, so everything
// that reads a Document sees what yaml-cpp would have given it. libyaml reads about ten times as
// fast as yaml-cpp's scanner, which was most of the time it took to load a large mesh.
class TreeBuilder {
public:
  TreeBuilder() : memory_(std::make_shared<YAML::detail::memory_holder>()) {}

  // Returns an error message for an event that cannot be built, empty otherwise.
  std::string add(const yaml_event_t& event) {
    switch (event.type) {
      case YAML_SCALAR_EVENT: {
        const auto& s = event.data.scalar;
        std::string tag = tagOf(s.tag);
        if (tag.empty()) {
          tag = s.style == YAML_PLAIN_SCALAR_STYLE ? "?" : "!";
        }
        const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
        YAML::detail::node& node = create(event.start_mark, s.anchor);
        if (tag == "?" && isNullString(value)) {
          node.set_null();
        } else {
          node.set_scalar(std::string(value));
          node.set_tag(tag);
        }
        return place(node);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (open_.size() >= kMaxDepth) {
          return "nested deeper than " + std::to_string(kMaxDepth) + " levels";
        }
        const bool map = event.type == YAML_MAPPING_START_EVENT;
        const std::string tag =
            tagOf(map ? event.data.mapping_start.tag : event.data.sequence_start.tag);
        const bool flow = map ? event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                              : event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        YAML::detail::node& node = create(event.start_mark, map ? event.data.mapping_start.anchor
                                                                : event.data.sequence_start.anchor);
        node.set_type(map ? YAML::NodeType::Map : YAML::NodeType::Sequence);
        node.set_tag(tag.empty() ? "?" : tag);
        node.set_style(flow ? YAML::EmitterStyle::Flow : YAML::EmitterStyle::Block);
        open_.push_back({&node, nullptr});
        return "";
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        YAML::detail::node* node = open_.back().node;
        open_.pop_back();
        return place(*node);
      }
      case YAML_ALIAS_EVENT: {
        const std::string name = reinterpret_cast<const char*>(event.data.alias.anchor);
        const auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          return "the anchor \"" + name + "\" that the alias *" + name + " names is not defined";
        }
        for (const Open& o : open_) {
          if (o.node == it->second) {
            return "the alias *" + name + " is inside the node it names";
          }
        }
        return place(*it->second);
      }
      default:
        return "";
    }
  }

  // The document's root; an undefined node when it had none.
  YAML::Node root() const;

private:
  struct Open {
    YAML::detail::node* node;
    YAML::detail::node* key;  // a mapping's key that waits for its value
  };

  static std::string tagOf(const yaml_char_t* tag) {
    return tag == nullptr ? "" : reinterpret_cast<const char*>(tag);
  }
  static bool isNullString(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
  }

  YAML::detail::node& create(const yaml_mark_t& at, const yaml_char_t* anchor) {
    YAML::detail::node& node = memory_->create_node();
    YAML::Mark mark;
    mark.pos = static_cast<int>(at.index);
    mark.line = static_cast<int>(at.line);
    mark.column = static_cast<int>(at.column);
    node.set_mark(mark);
    if (anchor != nullptr) {
      anchors_[reinterpret_cast<const char*>(anchor)] = &node;  // a later anchor of one name wins
    }
    return node;
  }

  // Puts a finished node where it belongs: the root, the next item of a sequence, or a key or
  // value of a mapping.
  std::string place(YAML::detail::node& node) {
    if (open_.empty()) {
      root_ = &node;
      return "";
    }
    Open& parent = open_.back();
    if (parent.node->type() == YAML::NodeType::Sequence) {
      parent.node->push_back(node, memory_);
    } else if (parent.key == nullptr) {
      parent.key = &node;
    } else {
      parent.node->insert(*parent.key, node, memory_);
      parent.key = nullptr;
    }
    return "";
  }

  YAML::detail::shared_memory_holder memory_;
  std::vector<Open> open_;
  std::unordered_map<std::string, YAML::detail::node*> anchors_;
  YAML::detail::node* root_ = nullptr;
};

}  // namespace
}  // namespace meshsim::sim::yaml

namespace YAML {
// A YAML::Node is made from a detail::node only by Node's friends, which include every
// specialisation of as_if; this one wraps the root that meshsim's builder made.
template <>
struct as_if<meshsim::sim::yaml::TreeBuilder, void> {
  static Node wrap(detail::node& node, const detail::shared_memory_holder& memory) {
    return Node(node, memory);
  }
};
}  // namespace YAML

namespace meshsim::sim::yaml {
namespace {

YAML::Node TreeBuilder::root() const {
  if (root_ == nullptr) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return YAML::as_if<TreeBuilder, void>::wrap(*root_, memory_);
}

// libyaml's parser over one text, and its errors at their place in the file.
class EventParser {
public:
  EventParser(std::string_view text, const std::string& file, int first_line, int indent)
      : text_(text), file_(file), first_line_(first_line), indent_(indent) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~EventParser() { yaml_parser_delete(&parser_); }
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  // The next event into `event` (which the caller deletes); false on malformed input.
  bool next(yaml_event_t& event) { return yaml_parser_parse(&parser_, &event) != 0; }

  Status error() const {
    if (parser_.error == YAML_MEMORY_ERROR) {
      return invalidArgumentError(file_ + ": malformed YAML: too large to parse (out of memory)");
    }
    if (parser_.error == YAML_READER_ERROR) {
      // Undecodable bytes: libyaml has only their offset.
      yaml_mark_t at{};
      const size_t offset = std::min(parser_.problem_offset, text_.size());
      for (size_t i = 0; i < offset; ++i) {
        if (text_[i] == '\n') {
          ++at.line;
          at.column = 0;
        } else {
          ++at.column;
        }
      }
      return failed(at, std::string(parser_.problem != nullptr ? parser_.problem : "unreadable") +
                            " (byte " + std::to_string(parser_.problem_value) + ")");
    }
    std::string message = parser_.problem != nullptr ? parser_.problem : "unreadable input";
    if (parser_.context != nullptr) {
      const Location context = placeOf(parser_.context_mark, file_, first_line_, indent_);
      message += " (" + std::string(parser_.context) + " at line " + std::to_string(context.line) +
                 ", column " + std::to_string(context.column) + ")";
    }
    return failed(parser_.problem_mark, message);
  }

  Status failed(const yaml_mark_t& at, const std::string& message) const {
    return invalidArgumentError(placeOf(inText(at), file_, first_line_, indent_).toString() +
                                ": malformed YAML: " + message);
  }

private:
  // libyaml ends a text that does not end with a line break as if it did, so a mark at the end
  // of the stream can be on a line after the last: that is the end of the last line.
  yaml_mark_t inText(yaml_mark_t at) const {
    const auto breaks = static_cast<size_t>(lineBreaks(text_));
    if (at.line > breaks) {
      at.line = breaks;
      const size_t last = text_.find_last_of("\n\r");
      at.column = text_.size() - (last == std::string_view::npos ? 0 : last + 1);
    }
    return at;
  }

  yaml_parser_t parser_{};
  std::string_view text_;
  const std::string& file_;
  int first_line_;
  int indent_;
};

// Owns one libyaml event.
struct Event {
  yaml_event_t event{};
  bool set = false;
  ~Event() { reset(); }
  void reset() {
    if (set) {
      yaml_event_delete(&event);
      set = false;
    }
  }
};

// Reads the documents of `text` (the part of a file that starts at `first_line`) one at a time
// and hands each to `each`; a document's nodes are freed before the next one is read. Empty
// documents between '---' separators are skipped.
Status loadDocuments(std::string_view text, const std::string& file, int first_line, int indent,
                     const std::function<Status(Document)>& each) {
  EventParser parser(text, file, first_line, indent);
  std::optional<TreeBuilder> builder;
  Event e;
  while (true) {
    e.reset();
    if (!parser.next(e.event)) {
      return parser.error();
    }
    e.set = true;
    switch (e.event.type) {
      case YAML_STREAM_END_EVENT:
        return okStatus();
      case YAML_DOCUMENT_START_EVENT:
        builder.emplace();
        break;
      case YAML_DOCUMENT_END_EVENT: {
        Document doc{file, first_line, indent + 1, builder->root()};
        builder.reset();
        if (!doc.root.IsDefined() || doc.root.IsNull()) {
          break;
        }
        MESHSIM_RETURN_IF_ERROR(checkDuplicateKeys(doc));
        MESHSIM_RETURN_IF_ERROR(each(std::move(doc)));
        break;
      }
      case YAML_STREAM_START_EVENT:
      case YAML_NO_EVENT:
        break;
      default:
        if (std::string problem = builder->add(e.event); !problem.empty()) {
          return parser.failed(e.event.start_mark, problem);
        }
    }
  }
}

}  // namespace

StatusOr<std::vector<Document>> parseString(const std::string& text, const std::string& file,
                                            int first_line, int indent) {
  std::vector<Document> docs;
  MESHSIM_RETURN_IF_ERROR(loadDocuments(text, file, first_line, indent, [&](Document doc) {
    docs.push_back(std::move(doc));
    return okStatus();
  }));
  return docs;
}

Status forEachDocument(const std::string& text, const std::string& file,
                       const std::function<Status(const Document&)>& each, int first_line,
                       int indent) {
  return loadDocuments(text, file, first_line, indent,
                       [&](const Document& doc) { return each(doc); });
}

int lineBreaks(std::string_view text) {
  int breaks = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++breaks;
    } else if (text.compare(i, 2, "\xc2\x85") == 0 || text.compare(i, 3, "\xe2\x80\xa8") == 0 ||
               text.compare(i, 3, "\xe2\x80\xa9") == 0) {
      ++breaks;
    }
  }
  return breaks;
}

int blockIndent(std::string_view text, int& line) {
  int n = 1;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view l = text.substr(0, eol);
    if (n >= line) {
      const size_t first = l.find_first_not_of(' ');
      if (first != std::string_view::npos) {
        line = n;
        return static_cast<int>(first);
      }
    }
    if (eol == std::string_view::npos) {
      break;
    }
    text.remove_prefix(eol + 1);
    ++n;
  }
  return 0;
}

StatusOr<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return notFoundError(path + ": cannot read file");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

StatusOr<std::vector<Document>> parseFile(const std::string& path) {
  MESHSIM_ASSIGN_OR_RETURN(std::string text, readFile(path));
  return parseString(text, path);
}

Status errorAt(const Location& at, std::string_view path, std::string_view message) {
  std::string m = at.toString() + ": ";
  if (!path.empty()) {
    m += std::string(path) + ": ";
  }
  m += message;
  return invalidArgumentError(std::move(m));
}

StatusOr<std::string> scalarString(const Document& doc, const YAML::Node& node,
                                   std::string_view path, std::string_view context) {
  if (!node.IsScalar()) {
    std::string m = std::string(context.empty() ? "" : std::string(context) + ": ");
    return errorAt(doc.locate(node), path, m + "expected a scalar value");
  }
  return node.Scalar();
}

YAML::Node get(const YAML::Node& node, std::string_view key) {
  if (!node.IsDefined() || !node.IsMap()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  const YAML::Node& n = node;
  YAML::Node c = n[std::string(key)];
  if (!c.IsDefined()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return c;
}

Reader::Reader(const Document& doc, YAML::Node node, std::string path, std::string context)
    : doc_(doc),
      node_(node.IsDefined() ? std::move(node) : YAML::Node(YAML::NodeType::Undefined)),
      path_(std::move(path)),
      context_(std::move(context)) {}

Status Reader::expectMap(bool optional) const {
  if (!node_.IsDefined() || node_.IsNull()) {
    return optional ? okStatus() : errorHere("required field is missing");
  }
  if (!node_.IsMap()) {
    return errorHere("expected a mapping");
  }
  return okStatus();
}

bool Reader::has(std::string_view key) const {
  const YAML::Node c = get(node_, key);
  return c.IsDefined() && !c.IsNull();
}

YAML::Node Reader::child(std::string_view key) {
  known_.emplace(key);
  return get(node_, key);
}

std::string Reader::pathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Reader::pathOf(std::string_view key, size_t index) const {
  return pathOf(key) + "[" + std::to_string(index) + "]";
}

Location Reader::location(std::string_view key) const {
  const YAML::Node c = get(node_, key);
  return doc_.locate(c.IsDefined() ? c : node_);
}

Status Reader::error(std::string_view key, std::string_view message) const {
  std::string m = context_.empty() ? std::string(message) : context_ + ": " + std::string(message);
  return errorAt(location(key), pathOf(key), m);
}

Status Reader::errorHere(std::string_view message) const {
  std::string m = context_.empty() ? std::string(message) : context_ + ": " + std::string(message);
  return errorAt(location(), path_, m);
}

StatusOr<std::string> Reader::string(std::string_view key, std::string def) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) {
    return def;
  }
  if (!n.IsScalar()) {
    return error(key, "expected a string");
  }
  return n.Scalar();
}

StatusOr<std::string> Reader::requiredString(std::string_view key) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) {
    return error(key, "required field is missing");
  }
  if (!n.IsScalar()) {
    return error(key, "expected a string");
  }
  return n.Scalar();
}

StatusOr<int64_t> Reader::integer(std::string_view key, int64_t def) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) {
    return def;
  }
  if (!n.IsScalar()) {
    return error(key, "expected an integer");
  }
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return error(key, "expected an integer, got \"" + s + "\"");
  }
  return v;
}

StatusOr<bool> Reader::boolean(std::string_view key, bool def) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) {
    return def;
  }
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  return error(key, "expected true or false");
}

StatusOr<std::map<std::string, std::string>> Reader::stringMap(std::string_view key) {
  YAML::Node n = child(key);
  std::map<std::string, std::string> out;
  if (!n.IsDefined() || n.IsNull()) {
    return out;
  }
  if (!n.IsMap()) {
    return error(key, "expected a mapping of strings");
  }
  for (const auto& kv : n) {
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
      return errorAt(doc_.locate(kv.first), pathOf(key), "expected string keys and values");
    }
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

StatusOr<std::vector<std::string>> Reader::stringList(std::string_view key) {
  YAML::Node n = child(key);
  std::vector<std::string> out;
  if (!n.IsDefined() || n.IsNull()) {
    return out;
  }
  if (!n.IsSequence()) {
    return error(key, "expected a list of strings");
  }
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      return errorAt(doc_.locate(n[i]), pathOf(key, i), "expected a string");
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

void Reader::ignore(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    known_.emplace(k);
  }
}

Status Reader::finish() const {
  return finish({}, "");
}

Status Reader::finish(const std::set<std::string_view>& defined, std::string_view api) const {
  if (ignore_all_ || !node_.IsMap()) {
    return okStatus();
  }
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      return errorAt(doc_.locate(kv.first), path_, "keys must be strings");
    }
    const std::string& key = kv.first.Scalar();
    if (known_.find(key) == known_.end()) {
      std::string m = defined.count(key) != 0
                          ? "\"" + key + "\" is valid " + std::string(api) +
                                ", but not modelled by this version of meshsim yet"
                          : "unknown field \"" + key + "\"";
      if (!context_.empty()) {
        m = context_ + ": " + m;
      }
      return errorAt(doc_.locate(kv.first), pathOf(key), m);
    }
  }
  return okStatus();
}

}  // namespace meshsim::sim::yaml
