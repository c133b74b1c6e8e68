#include "sim/yaml/document.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

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

// Sees where each document of a stream starts, and nothing else.
class DocumentStarts : public YAML::EventHandler {
public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// yaml-cpp 0.7's LoadAll() never returns (and allocates until memory runs out) when a token
// that cannot start a node follows a document, as in "[a]," or "{a: 1},": every further
// document is an empty one at that same token (yaml-cpp issue #1040; fixed upstream by pull
// request #1319, after 0.8.0). A first pass with the event parser stops there: a document that
// starts where the one before it started has consumed nothing. Returns the mark of that token.
std::optional<YAML::Mark> stuckDocument(const std::string& text) {
  // The tokens that leave it stuck are ',', ']' and '}'; a text without those characters (as
  // most block-style manifests are) needs no first pass, which costs about half a load.
  if (text.find_first_of(",]}") == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  std::optional<int> previous;
  while (parser.HandleNextDocument(starts)) {
    if (previous == starts.start.pos) {
      return starts.start;
    }
    previous = starts.start.pos;
  }
  return std::nullopt;
}

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

}  // namespace

namespace {

// yaml-cpp's error, at its place in the file.
Status malformed(const YAML::Exception& e, const std::string& file, int first_line, int indent) {
  const int line = e.mark.is_null() ? 0 : e.mark.line + first_line;
  const int col = e.mark.is_null() ? 0 : e.mark.column + 1 + indent;
  return invalidArgumentError(Location{file, line, col}.toString() + ": malformed YAML: " + e.msg);
}

// Loads every document of `text` (the part of a file that starts at `first_line`) and hands each
// to `each`; yaml-cpp's errors become this file's.
Status loadDocuments(const std::string& text, const std::string& file, int first_line, int indent,
                     const std::function<Status(Document)>& each) {
  try {
    for (YAML::Node& n : YAML::LoadAll(text)) {
      if (n.IsNull()) {
        continue;  // an empty document between '---' separators
      }
      Document doc{file, first_line, indent + 1, n};
      MESHSIM_RETURN_IF_ERROR(checkDuplicateKeys(doc));
      MESHSIM_RETURN_IF_ERROR(each(std::move(doc)));
    }
  } catch (const YAML::Exception& e) {
    return malformed(e, file, first_line, indent);
  }
  return okStatus();
}

Status checkNotStuck(const std::string& text, const std::string& file, int first_line, int indent) {
  try {
    if (const auto stuck = stuckDocument(text)) {
      const size_t pos = static_cast<size_t>(stuck->pos);
      const std::string what =
          pos < text.size() ? "unexpected \"" + text.substr(pos, 1) + "\"" : "unexpected end";
      return invalidArgumentError(
          Location{file, stuck->line + first_line, stuck->column + 1 + indent}.toString() +
          ": malformed YAML: " + what + " after the end of a document");
    }
  } catch (const YAML::Exception& e) {
    return malformed(e, file, first_line, indent);
  }
  return okStatus();
}

// Whether the line at `at` is a document start marker: "---" alone or followed by a blank.
bool documentStart(std::string_view text, size_t at) {
  if (text.compare(at, 3, "---") != 0) {
    return false;
  }
  return at + 3 == text.size() || text[at + 3] == ' ' || text[at + 3] == '\t' ||
         text[at + 3] == '\n' || text[at + 3] == '\r';
}

}  // namespace

StatusOr<std::vector<Document>> parseString(const std::string& text, const std::string& file,
                                            int first_line, int indent) {
  MESHSIM_RETURN_IF_ERROR(checkNotStuck(text, file, first_line, indent));
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
  MESHSIM_RETURN_IF_ERROR(checkNotStuck(text, file, first_line, indent));
  const auto hand_over = [&](Document doc) { return each(doc); };
  // A directive (%YAML, %TAG) belongs to the document after it: such text is loaded whole.
  if (text.starts_with('%') || text.find("\n%") != std::string::npos) {
    return loadDocuments(text, file, first_line, indent, hand_over);
  }
  // Each piece from one document start marker to the next is loaded on its own, so the nodes of
  // a document are freed before the next one is read. A marker at the start of a line ends any
  // block (YAML 1.2, 9.1.4), so the pieces are the documents yaml-cpp would read from the whole.
  size_t begin = 0;
  int line = 0;  // lines before `begin`
  size_t at = 0;
  int lines_seen = 0;
  while (true) {
    const size_t eol = text.find('\n', at);
    const size_t next = eol == std::string::npos ? text.size() : eol + 1;
    const bool last = next >= text.size();
    const size_t end = last ? text.size() : next;
    ++lines_seen;
    if (!last && documentStart(text, next)) {
      MESHSIM_RETURN_IF_ERROR(loadDocuments(text.substr(begin, end - begin), file,
                                            first_line + line, indent, hand_over));
      begin = next;
      line = lines_seen;
    }
    if (last) {
      break;
    }
    at = next;
  }
  return loadDocuments(text.substr(begin), file, first_line + line, indent, hand_over);
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
