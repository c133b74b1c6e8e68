#pragma once

// File: sim/yaml/document.h
//
// YAML input with positions. Every value read from a manifest or scenario can say where it
// came from (file:line:column), and every read goes through a Reader that names the field
// path ("spec.servers[0].port.number") in its errors and rejects unknown fields.
//
// yaml-cpp throws; its exceptions are caught here and nowhere else.
//
// Example:
//   Reader r(doc, yaml::get(doc.root, "spec"), "spec");
//   MESHSIM_ASSIGN_OR_RETURN(int n, r.integer("replicas", 1));
//   MESHSIM_RETURN_IF_ERROR(r.finish());   // unknown fields are errors

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/core/status.h"

namespace meshsim::sim::yaml {

struct Location {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  // "file:line:column", or "file" when the line is unknown.
  std::string toString() const;
};

// One YAML document of a (possibly multi-document) file.
struct Document {
  std::string file;
  // Added to yaml-cpp's 0-based line numbers: 1 for a file, more for a block embedded in
  // another file (inline scenario `resources`).
  int line_offset = 1;
  // Added to yaml-cpp's 0-based columns: 1, plus the block's indentation for embedded text.
  int column_offset = 1;
  YAML::Node root;

  Location locate(const YAML::Node& node) const;
};

// Parses every document of `text`. `file` names it in errors; `first_line` is the line of
// `text`'s first line in that file and `indent` the columns its lines were indented by there
// (a YAML block scalar). A malformed document fails the whole load, and so does a mapping that
// has a key twice at any depth (the error names both places).
StatusOr<std::vector<Document>> parseString(const std::string& text, const std::string& file,
                                            int first_line = 1, int indent = 0);
// Calls `each` with every document of `text` in order, reading one document at a time, so that a
// long multi-document file never holds the nodes of all its documents at once. The errors are
// parseString's; the first one, from the YAML or from `each`, ends the walk.
Status forEachDocument(const std::string& text, const std::string& file,
                       const std::function<Status(const Document&)>& each, int first_line = 1,
                       int indent = 0);
// Reads and parses a file.
StatusOr<std::vector<Document>> parseFile(const std::string& path);
// The indentation of the first non-blank line at or after `line` (1-based) of `text` (a whole
// file); moves `line` there. Where a YAML block scalar's text sits in its file.
int blockIndent(std::string_view text, int& line);
// The line breaks of `text` as YAML reads them, and so as error messages count lines: "\n",
// "\r\n" and a lone "\r", and the Unicode breaks NEL, LS and PS.
int lineBreaks(std::string_view text);
// A whole file's bytes; NotFound ("path: cannot read file") when it cannot be opened.
StatusOr<std::string> readFile(const std::string& path);

// An error that names where it happened: "file:line:col: <path>: message".
Status errorAt(const Location& at, std::string_view path, std::string_view message);

// Reads the fields of one YAML mapping, remembering which keys were read so that finish() can
// reject the rest. Reading methods return the default when the key is absent and an error when
// the value has the wrong type.
class Reader {
public:
  // `path` is the field path of `node` in messages, e.g. "spec" or "spec.servers[1]".
  // `context` prefixes messages, e.g. "Gateway default/hello-gateway".
  Reader(const Document& doc, YAML::Node node, std::string path, std::string context = "");

  // Fails unless the node is a mapping (or absent/null when `optional`).
  Status expectMap(bool optional = false) const;

  bool has(std::string_view key) const;
  // The child node (undefined node when absent); marks the key as known.
  YAML::Node child(std::string_view key);
  // The field path of a child: "spec.hosts", "spec.servers[2]".
  std::string pathOf(std::string_view key) const;
  std::string pathOf(std::string_view key, size_t index) const;

  StatusOr<std::string> string(std::string_view key, std::string def = "");
  StatusOr<std::string> requiredString(std::string_view key);
  StatusOr<int64_t> integer(std::string_view key, int64_t def = 0);
  StatusOr<bool> boolean(std::string_view key, bool def = false);
  // A map of string to string (labels, selectors); scalars of any type are taken as strings.
  StatusOr<std::map<std::string, std::string>> stringMap(std::string_view key);
  // A list of strings.
  StatusOr<std::vector<std::string>> stringList(std::string_view key);
  // Marks keys as known without reading them (fields the simulator accepts but ignores).
  void ignore(std::initializer_list<std::string_view> keys);
  void ignoreAll() { ignore_all_ = true; }

  // Fails on the first key that was neither read nor ignored.
  Status finish() const;
  // As finish(), but a key that `defined` lists (a field the resource's API defines, which the
  // simulator does not read) is refused as "valid API, but not modelled by this version of
  // meshsim yet", not as unknown: e.g. api "Istio".
  Status finish(const std::set<std::string_view>& defined, std::string_view api) const;

  Status error(std::string_view key, std::string_view message) const;
  Status errorHere(std::string_view message) const;
  Location location(std::string_view key) const;
  Location location() const { return doc_.locate(node_); }
  const Document& document() const { return doc_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const std::string& context() const { return context_; }

private:
  const Document& doc_;
  YAML::Node node_;
  std::string path_;
  std::string context_;
  std::set<std::string, std::less<>> known_;
  bool ignore_all_ = false;
};

// The child `key` of a mapping, or an Undefined node that is safe to inspect when the key is
// absent or `node` is not a mapping (yaml-cpp's own lookup returns a node that throws).
YAML::Node get(const YAML::Node& node, std::string_view key);

// Reads a scalar as a string; fails for maps and sequences.
StatusOr<std::string> scalarString(const Document& doc, const YAML::Node& node,
                                   std::string_view path, std::string_view context);

}  // namespace meshsim::sim::yaml
