#include "sim/telemetry/metric_query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <re2/re2.h>

#include "sim/telemetry/histogram.h"

namespace meshsim::sim::telemetry {

namespace {

enum class ValueType { Scalar, Vector, Matrix };

const char* typeName(ValueType t) {
  switch (t) {
    case ValueType::Scalar:
      return "a scalar";
    case ValueType::Vector:
      return "an instant vector";
    case ValueType::Matrix:
      return "a range vector";
  }
  return "?";
}

struct Matcher {
  enum class Op { Eq, Ne, Re, Nre };
  std::string label;
  size_t pos = 0;  // of the label name in the query, for messages
  Op op = Op::Eq;
  std::string value;
  std::shared_ptr<const re2::RE2> re;  // for =~ and !~, anchored like PromQL

  bool matches(const Labels& labels, const std::string& name) const {
    static const std::string kEmpty;
    const std::string* v = nullptr;
    if (label == "__name__") {
      v = &name;
    } else {
      for (const auto& [k, val] : labels) {
        if (k == label) {
          v = &val;
          break;
        }
      }
    }
    const std::string& actual = v != nullptr ? *v : kEmpty;  // absent label == empty value
    switch (op) {
      case Op::Eq:
        return actual == value;
      case Op::Ne:
        return actual != value;
      case Op::Re:
        return re2::RE2::FullMatch(actual, *re);
      case Op::Nre:
        return !re2::RE2::FullMatch(actual, *re);
    }
    return false;
  }
};

enum class BinOp { Or, And, Unless, Eq, Ne, Lt, Le, Gt, Ge, Add, Sub, Mul, Div, Mod, Pow };

struct BinOpInfo {
  BinOp op;
  int precedence;  // higher binds tighter
  std::string_view text;
};

// Longest symbols first, so "==" is not read as "=" and "<=" not as "<".
constexpr BinOpInfo kSymbolOps[] = {
    {BinOp::Eq, 3, "=="}, {BinOp::Ne, 3, "!="}, {BinOp::Le, 3, "<="}, {BinOp::Ge, 3, ">="},
    {BinOp::Lt, 3, "<"},  {BinOp::Gt, 3, ">"},  {BinOp::Add, 4, "+"}, {BinOp::Sub, 4, "-"},
    {BinOp::Mul, 5, "*"}, {BinOp::Div, 5, "/"}, {BinOp::Mod, 5, "%"},
};
constexpr BinOpInfo kKeywordOps[] = {
    {BinOp::Or, 1, "or"},
    {BinOp::And, 2, "and"},
    {BinOp::Unless, 2, "unless"},
};

bool isComparison(BinOp op) {
  return op == BinOp::Eq || op == BinOp::Ne || op == BinOp::Lt || op == BinOp::Le ||
         op == BinOp::Gt || op == BinOp::Ge;
}
bool isSetOp(BinOp op) {
  return op == BinOp::Or || op == BinOp::And || op == BinOp::Unless;
}

const char* const kAggregations[] = {"sum", "count", "min", "max", "avg"};

bool isAggregation(std::string_view name) {
  return std::find(std::begin(kAggregations), std::end(kAggregations), name) !=
         std::end(kAggregations);
}

struct FunctionSpec {
  std::string_view name;
  std::vector<ValueType> args;
  ValueType result;
};

const std::vector<FunctionSpec>& functions() {
  static const std::vector<FunctionSpec> kFunctions = {
      {"rate", {ValueType::Matrix}, ValueType::Vector},
      {"increase", {ValueType::Matrix}, ValueType::Vector},
      {"histogram_quantile", {ValueType::Scalar, ValueType::Vector}, ValueType::Vector},
      {"vector", {ValueType::Scalar}, ValueType::Vector},
      {"scalar", {ValueType::Vector}, ValueType::Scalar},
      {"time", {}, ValueType::Scalar},
      {"abs", {ValueType::Vector}, ValueType::Vector},
      {"clamp_min", {ValueType::Vector, ValueType::Scalar}, ValueType::Vector},
      {"clamp_max", {ValueType::Vector, ValueType::Scalar}, ValueType::Vector},
  };
  return kFunctions;
}

const FunctionSpec* findFunction(std::string_view name) {
  for (const auto& f : functions()) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace

struct MetricQuery::Node {
  enum class Kind { Number, Selector, Aggregate, Call, Binary, Negate };
  Kind kind = Kind::Number;
  ValueType type = ValueType::Scalar;
  size_t pos = 0;  // offset of the node's first character in the query, for messages
  // Number
  double number = 0;
  // Selector
  std::string metric;
  std::vector<Matcher> matchers;
  VirtualTime range{0};  // 0: an instant selector
  VirtualTime offset{0};
  // Aggregate (name in `name`), Call
  std::string name;
  std::vector<std::string> grouping;
  bool without = false;
  // Binary
  BinOp op = BinOp::Add;
  bool return_bool = false;
  bool matching = false;  // on (...) or ignoring (...) was given
  bool on = false;        // on (...) rather than ignoring (...)
  std::vector<std::string> labels;
  // Aggregate: [expr]; Call: the arguments; Binary: [lhs, rhs]; Negate: [expr].
  std::vector<std::shared_ptr<const Node>> args;
  // Levels of the tree from here down (1: no args). Parsing refuses trees deeper than
  // kMaxDepth, so that evaluating and destroying one cannot overflow the stack.
  int depth = 1;
};

namespace {

using Node = MetricQuery::Node;
using NodePtr = std::shared_ptr<const Node>;

Status errorAt(const std::string& text, size_t pos, const std::string& message) {
  return invalidArgumentError("metric query: column " + std::to_string(pos + 1) + ": " + message +
                              "\n  " + text + "\n  " + std::string(pos, ' ') + "^");
}

// How deep a query may nest: far beyond what anyone writes, far below what overflows the stack
// of the recursive parser and evaluator (even with sanitizers).
constexpr int kMaxDepth = 256;

// Sets `node`'s depth from its arguments; fails, naming `pos`, when it is too deep.
Status setDepth(const std::string& text, Node& node, size_t pos) {
  node.depth = 1;
  for (const auto& arg : node.args) {
    node.depth = std::max(node.depth, arg->depth + 1);
  }
  if (node.depth > kMaxDepth) {
    return errorAt(
        text, pos,
        "the query nests too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
  }
  return okStatus();
}

bool isIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}
bool isIdentChar(char c) {
  return isIdentStart(c) || std::isdigit(static_cast<unsigned char>(c));
}

class Parser {
public:
  explicit Parser(const std::string& text) : text_(text) {}

  StatusOr<NodePtr> parseAll() {
    MESHSIM_ASSIGN_OR_RETURN(NodePtr node, parseExpr(1));
    skipSpace();
    if (pos_ != text_.size()) {
      return error("unexpected " + describeHere() + " after the expression");
    }
    if (node->type == ValueType::Matrix) {
      return errorAt(text_, node->pos,
                     "the query yields a range vector; apply rate() or increase() to it");
    }
    return node;
  }

private:
  Status error(const std::string& message) const { return errorAt(text_, pos_, message); }

  std::string describeHere() const {
    if (pos_ >= text_.size()) {
      return "end of the query";
    }
    size_t end = pos_ + 1;
    if (isIdentChar(text_[pos_])) {
      while (end < text_.size() && isIdentChar(text_[end])) {
        ++end;
      }
    }
    return "'" + text_.substr(pos_, end - pos_) + "'";
  }

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
  }

  bool atEnd() {
    skipSpace();
    return pos_ >= text_.size();
  }

  char peek() {
    skipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  bool consume(char c) {
    if (peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // The identifier at the current position, without consuming it.
  std::string_view peekIdentifier() {
    skipSpace();
    if (pos_ >= text_.size() || !isIdentStart(text_[pos_])) {
      return {};
    }
    size_t end = pos_;
    while (end < text_.size() && isIdentChar(text_[end])) {
      ++end;
    }
    const std::string_view text = text_;
    return text.substr(pos_, end - pos_);
  }

  std::string identifier() {
    const std::string_view id = peekIdentifier();
    pos_ += id.size();
    return std::string(id);
  }

  // Consumes `keyword` if it is the next whole identifier.
  bool consumeKeyword(std::string_view keyword) {
    if (peekIdentifier() == keyword) {
      pos_ += keyword.size();
      return true;
    }
    return false;
  }

  // A string in double or single quotes with Go's escapes (\\, \", \', \n, \t, \r, \a, \b,
  // \f, \v), or a raw string in backticks, as PromQL has them. An unknown escape is an error
  // rather than a silently dropped backslash: a regex escape needs two ("\\." or `\.`).
  StatusOr<std::string> stringLiteral() {
    skipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'' && text_[pos_] != '`')) {
      return error("expected a quoted string");
    }
    const size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && quote != '`' && pos_ < text_.size()) {
        const size_t escape = pos_ - 1;
        c = text_[pos_++];
        static constexpr std::string_view kFrom = "\\\"'ntrabfv";
        static constexpr std::string_view kTo = "\\\"'\n\t\r\a\b\f\v";
        const size_t i = kFrom.find(c);
        if (i == std::string_view::npos) {
          pos_ = escape;
          return error(std::string("unknown escape sequence \\") + c +
                       " in a string (a regex escape needs a double backslash, \\\\" + c +
                       ", or a `raw string`)");
        }
        c = kTo[i];
      }
      out += c;
    }
    if (pos_ >= text_.size()) {
      pos_ = start;
      return error("unterminated string");
    }
    ++pos_;
    return out;
  }

  StatusOr<std::vector<std::string>> labelList() {
    std::vector<std::string> out;
    if (!consume('(')) {
      return error("expected '(' and a list of labels");
    }
    if (consume(')')) {
      return out;
    }
    while (true) {
      std::string l = identifier();
      if (l.empty()) {
        return error("expected a label name");
      }
      out.push_back(std::move(l));
      if (consume(')')) {
        return out;
      }
      if (!consume(',')) {
        return error("expected ',' or ')'");
      }
    }
  }

  // A duration such as 5m, 30s, 1h30m, 250ms.
  StatusOr<VirtualTime> duration() {
    skipSpace();
    const size_t start = pos_;
    VirtualTime total{0};
    bool any = false;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])) != 0) {
      uint64_t n = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])) != 0) {
        n = n * 10 + static_cast<uint64_t>(text_[pos_] - '0');
        ++pos_;
        if (n > (uint64_t{1} << 40)) {
          pos_ = start;
          return error("duration is too large");
        }
      }
      using std::chrono::hours;
      VirtualTime unit{0};
      if (text_.compare(pos_, 2, "ms") == 0) {
        unit = std::chrono::milliseconds(1);
        pos_ += 2;
      } else if (pos_ < text_.size() &&
                 std::string_view("smhdwy").find(text_[pos_]) != std::string_view::npos) {
        switch (text_[pos_]) {
          case 's':
            unit = std::chrono::seconds(1);
            break;
          case 'm':
            unit = std::chrono::minutes(1);
            break;
          case 'h':
            unit = hours(1);
            break;
          case 'd':
            unit = hours(24);
            break;
          case 'w':
            unit = hours(24 * 7);
            break;
          default:
            unit = hours(24 * 365);
            break;
        }
        ++pos_;
      } else {
        return error("expected a duration unit: ms, s, m, h, d, w or y");
      }
      // Nanoseconds in an int64 end at 292 years, and evaluation subtracts an offset and a
      // range from the evaluation time: 100 years each keeps that arithmetic in range.
      constexpr VirtualTime kMaxDuration = hours(24 * 365 * 100);
      if (n > static_cast<uint64_t>(kMaxDuration / unit) ||
          unit * static_cast<int64_t>(n) > kMaxDuration - total) {
        pos_ = start;
        return error("duration is too large (at most 100y)");
      }
      total += unit * static_cast<int64_t>(n);
      any = true;
    }
    if (!any) {
      return error("expected a duration such as 5m or 30s");
    }
    if (total.count() == 0) {
      pos_ = start;
      return error("duration must be greater than 0");
    }
    return total;
  }

  std::optional<BinOpInfo> peekBinaryOp() {
    skipSpace();
    for (const auto& info : kSymbolOps) {
      if (text_.compare(pos_, info.text.size(), info.text) == 0) {
        // "!~" and "=~" are matchers, never operators; "=" alone is no operator either.
        return info;
      }
    }
    const std::string_view id = peekIdentifier();
    for (const auto& info : kKeywordOps) {
      if (id == info.text) {
        return info;
      }
    }
    return std::nullopt;
  }

  StatusOr<NodePtr> parseExpr(int min_precedence) {
    MESHSIM_ASSIGN_OR_RETURN(NodePtr lhs, parseUnary());
    while (true) {
      const std::optional<BinOpInfo> info = peekBinaryOp();
      if (!info || info->precedence < min_precedence) {
        return lhs;
      }
      const size_t op_pos = pos_;
      pos_ += info->text.size();
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::Binary;
      node->op = info->op;
      node->pos = op_pos;
      if (isComparison(info->op) && consumeKeyword("bool")) {
        node->return_bool = true;
      }
      const std::string_view matching = peekIdentifier();
      if (matching == "on" || matching == "ignoring") {
        pos_ += matching.size();
        node->matching = true;
        node->on = matching == "on";
        MESHSIM_ASSIGN_OR_RETURN(node->labels, labelList());
      }
      if (peekIdentifier() == "group_left" || peekIdentifier() == "group_right") {
        return error("group_left and group_right are not supported (one-to-one matching only)");
      }
      MESHSIM_ASSIGN_OR_RETURN(NodePtr rhs, parseExpr(info->precedence + 1));
      MESHSIM_RETURN_IF_ERROR(checkBinary(*node, *lhs, *rhs, info->text));
      node->type = lhs->type == ValueType::Scalar && rhs->type == ValueType::Scalar
                       ? ValueType::Scalar
                       : ValueType::Vector;
      node->args = {lhs, rhs};
      MESHSIM_RETURN_IF_ERROR(setDepth(text_, *node, op_pos));
      lhs = node;
    }
  }

  Status checkBinary(const Node& node, const Node& lhs, const Node& rhs, std::string_view op) {
    for (const Node* side : {&lhs, &rhs}) {
      if (side->type == ValueType::Matrix) {
        return errorAt(text_, side->pos,
                       "operator " + quoted(op) +
                           " needs scalars or instant vectors, got a range vector; apply rate() "
                           "or increase() to it");
      }
    }
    const bool scalars = lhs.type == ValueType::Scalar || rhs.type == ValueType::Scalar;
    if (isSetOp(node.op) && scalars) {
      return errorAt(text_, node.pos,
                     "set operator " + quoted(op) + " needs instant vectors on both sides");
    }
    if (node.matching && scalars) {
      return errorAt(text_, node.pos, "on (...) and ignoring (...) need vectors on both sides");
    }
    if (isComparison(node.op) && lhs.type == ValueType::Scalar && rhs.type == ValueType::Scalar &&
        !node.return_bool) {
      return errorAt(text_, node.pos,
                     "comparisons between scalars must use the bool modifier, e.g. 1 > bool 0");
    }
    return okStatus();
  }

  // Every recursion of the parser passes through here, so bounding the nesting here bounds
  // the stack, whatever the input ("((((...", "----...1").
  StatusOr<NodePtr> parseUnary() {
    if (nesting_ >= kMaxDepth) {
      return error("the query nests too deeply (more than " + std::to_string(kMaxDepth) +
                   " levels)");
    }
    ++nesting_;
    auto node = parseUnaryUnbounded();
    --nesting_;
    return node;
  }

  StatusOr<NodePtr> parseUnaryUnbounded() {
    const char c = peek();
    if (c == '-' || c == '+') {
      const size_t at = pos_;
      ++pos_;
      MESHSIM_ASSIGN_OR_RETURN(NodePtr operand, parseUnary());
      if (operand->type == ValueType::Matrix) {
        return errorAt(text_, operand->pos,
                       "unary " + std::string(1, c) +
                           " needs a scalar or an instant vector, got a "
                           "range vector");
      }
      if (c == '+') {
        return operand;
      }
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::Negate;
      node->type = operand->type;
      node->pos = at;
      node->args = {operand};
      MESHSIM_RETURN_IF_ERROR(setDepth(text_, *node, at));
      return NodePtr(node);
    }
    return parsePower();
  }

  // primary ['^' unary]: ^ binds tighter than unary minus on its left, and is right-associative.
  StatusOr<NodePtr> parsePower() {
    MESHSIM_ASSIGN_OR_RETURN(NodePtr base, parsePostfix());
    if (peek() != '^') {
      return base;
    }
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::Binary;
    node->op = BinOp::Pow;
    node->pos = pos_;
    ++pos_;
    MESHSIM_ASSIGN_OR_RETURN(NodePtr exponent, parseUnary());
    MESHSIM_RETURN_IF_ERROR(checkBinary(*node, *base, *exponent, "^"));
    node->type = base->type == ValueType::Scalar && exponent->type == ValueType::Scalar
                     ? ValueType::Scalar
                     : ValueType::Vector;
    node->args = {base, exponent};
    MESHSIM_RETURN_IF_ERROR(setDepth(text_, *node, node->pos));
    return NodePtr(node);
  }

  // A primary expression, then a range `[5m]` and `offset 5m` for selectors.
  StatusOr<NodePtr> parsePostfix() {
    bool parenthesized = false;
    MESHSIM_ASSIGN_OR_RETURN(NodePtr primary, parsePrimary(&parenthesized));
    const bool selector = primary->kind == Node::Kind::Selector && !parenthesized;
    if (peek() == '[') {
      if (!selector || primary->range.count() != 0) {
        return error(
            "a range [..] applies only to a metric selector such as m{a=\"b\"}[5m] "
            "(subqueries are not supported)");
      }
      ++pos_;
      auto node = std::make_shared<Node>(*primary);
      MESHSIM_ASSIGN_OR_RETURN(node->range, duration());
      if (!consume(']')) {
        return error("expected ']'");
      }
      node->type = ValueType::Matrix;
      primary = node;
    }
    if (peekIdentifier() == "offset") {
      if (!selector) {
        return error("offset applies only to a metric selector");
      }
      pos_ += 6;
      const bool negative = consume('-');
      auto node = std::make_shared<Node>(*primary);
      MESHSIM_ASSIGN_OR_RETURN(node->offset, duration());
      if (negative) {
        node->offset = -node->offset;
      }
      primary = node;
    }
    return primary;
  }

  StatusOr<NodePtr> parsePrimary(bool* parenthesized) {
    skipSpace();
    const size_t start = pos_;
    if (pos_ >= text_.size()) {
      return error(
          "expected a metric name, a number, a function or an aggregation (sum, count, min, "
          "max, avg)");
    }
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      MESHSIM_ASSIGN_OR_RETURN(NodePtr inner, parseExpr(1));
      if (!consume(')')) {
        return error("expected ')'");
      }
      *parenthesized = true;
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
        (c == '.' && pos_ + 1 < text_.size() &&
         std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) != 0)) {
      return number();
    }
    if (c == '{') {
      return selector(std::string());
    }
    if (c == '"' || c == '\'') {
      return error("a string is not allowed here; label values go inside {...}");
    }
    const std::string name = identifier();
    if (name.empty()) {
      return error("expected a metric name, a number, a function or an aggregation, got " +
                   describeHere());
    }
    const bool call = peek() == '(';
    if (!call && peek() != '{') {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (lower == "inf" || lower == "nan") {
        auto node = std::make_shared<Node>();
        node->pos = start;
        node->number = lower == "inf" ? std::numeric_limits<double>::infinity()
                                      : std::numeric_limits<double>::quiet_NaN();
        return NodePtr(node);
      }
    }
    if (isAggregation(name)) {
      return aggregation(name, start);
    }
    if (call) {
      return functionCall(name, start);
    }
    return selector(name, start);
  }

  StatusOr<NodePtr> number() {
    const size_t start = pos_;
    size_t end = pos_;
    while (end < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[end])) != 0 || text_[end] == '.')) {
      ++end;
    }
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      size_t exp = end + 1;
      if (exp < text_.size() && (text_[exp] == '+' || text_[exp] == '-')) {
        ++exp;
      }
      if (exp < text_.size() && std::isdigit(static_cast<unsigned char>(text_[exp])) != 0) {
        end = exp;
        while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end])) != 0) {
          ++end;
        }
      }
    }
    const std::string token = text_.substr(start, end - start);
    char* parsed_end = nullptr;
    const double v = std::strtod(token.c_str(), &parsed_end);
    if (parsed_end != token.c_str() + token.size()) {
      return error("malformed number " + quoted(token));
    }
    pos_ = end;
    if (pos_ < text_.size() && isIdentStart(text_[pos_])) {
      return error("unexpected " + describeHere() +
                   " after a number (durations such as 5m go inside [...])");
    }
    auto node = std::make_shared<Node>();
    node->pos = start;
    node->number = v;
    return NodePtr(node);
  }

  StatusOr<NodePtr> selector(std::string name, size_t start = std::string::npos) {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::Selector;
    node->type = ValueType::Vector;
    node->pos = start == std::string::npos ? pos_ : start;
    node->metric = std::move(name);
    const size_t brace = pos_;
    if (consume('{')) {
      while (!consume('}')) {
        skipSpace();
        const size_t label_pos = pos_;
        const std::string label = identifier();
        if (label.empty()) {
          return error("expected a label name");
        }
        skipSpace();
        Matcher m;
        m.label = label;
        m.pos = label_pos;
        if (text_.compare(pos_, 2, "=~") == 0) {
          m.op = Matcher::Op::Re;
          pos_ += 2;
        } else if (text_.compare(pos_, 2, "!~") == 0) {
          m.op = Matcher::Op::Nre;
          pos_ += 2;
        } else if (text_.compare(pos_, 2, "!=") == 0) {
          m.op = Matcher::Op::Ne;
          pos_ += 2;
        } else if (text_.compare(pos_, 1, "=") == 0) {
          m.op = Matcher::Op::Eq;
          pos_ += 1;
        } else {
          return error("expected one of =, !=, =~, !~");
        }
        skipSpace();
        const size_t value_pos = pos_;
        MESHSIM_ASSIGN_OR_RETURN(m.value, stringLiteral());
        if (m.op == Matcher::Op::Re || m.op == Matcher::Op::Nre) {
          auto re = std::make_shared<re2::RE2>(m.value, re2::RE2::Quiet);
          if (!re->ok()) {
            pos_ = value_pos;
            return error("invalid regular expression: " + re->error());
          }
          m.re = std::move(re);
        }
        if (m.label == "__name__" && m.op == Matcher::Op::Eq && node->metric.empty()) {
          node->metric = m.value;
        } else {
          node->matchers.push_back(std::move(m));
        }
        if (consume('}')) {
          break;
        }
        if (!consume(',')) {
          return error("expected ',' or '}'");
        }
      }
      if (node->metric.empty()) {
        // PromQL refuses selectors that match everything: {} or {a=""} alone.
        const bool selective =
            std::any_of(node->matchers.begin(), node->matchers.end(), [](const Matcher& m) {
              return !m.matches({}, std::string());  // does not match the empty label set
            });
        if (!selective) {
          return errorAt(text_, brace,
                         "a selector without a metric name needs a matcher that does not match "
                         "the empty string");
        }
      }
    }
    return NodePtr(node);
  }

  StatusOr<NodePtr> aggregation(const std::string& name, size_t start) {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::Aggregate;
    node->type = ValueType::Vector;
    node->pos = start;
    node->name = name;
    bool grouped = false;
    const auto grouping = [&]() -> Status {
      const std::string_view kw = peekIdentifier();
      if (kw != "by" && kw != "without") {
        return okStatus();
      }
      if (grouped) {
        return error("only one of by (...) and without (...) may be given");
      }
      pos_ += kw.size();
      node->without = kw == "without";
      grouped = true;
      MESHSIM_ASSIGN_OR_RETURN(node->grouping, labelList());
      return okStatus();
    };
    MESHSIM_RETURN_IF_ERROR(grouping());
    MESHSIM_RETURN_IF_ERROR(grouping());  // refuses a second clause: sum by (a) without (b) (m)
    if (!consume('(')) {
      return error("expected '(' after " + name);
    }
    MESHSIM_ASSIGN_OR_RETURN(NodePtr arg, parseExpr(1));
    if (!consume(')')) {
      return error("expected ')'");
    }
    if (arg->type != ValueType::Vector) {
      return errorAt(
          text_, arg->pos,
          name + "() needs an instant vector, got " + typeName(arg->type) +
              (arg->type == ValueType::Matrix ? "; apply rate() or increase() to it" : ""));
    }
    node->args = {arg};
    MESHSIM_RETURN_IF_ERROR(setDepth(text_, *node, node->pos));
    MESHSIM_RETURN_IF_ERROR(grouping());
    return NodePtr(node);
  }

  StatusOr<NodePtr> functionCall(const std::string& name, size_t start) {
    const FunctionSpec* spec = findFunction(name);
    if (spec == nullptr) {
      std::string known;
      for (const auto& f : functions()) {
        known += (known.empty() ? "" : ", ") + std::string(f.name);
      }
      return errorAt(text_, start,
                     "unknown function " + quoted(name) + "; known: " + known +
                         ", and the aggregations sum, count, avg, min, max");
    }
    consume('(');
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::Call;
    node->type = spec->result;
    node->pos = start;
    node->name = name;
    if (!consume(')')) {
      while (true) {
        MESHSIM_ASSIGN_OR_RETURN(NodePtr arg, parseExpr(1));
        node->args.push_back(arg);
        if (consume(')')) {
          break;
        }
        if (!consume(',')) {
          return error("expected ',' or ')'");
        }
      }
    }
    MESHSIM_RETURN_IF_ERROR(setDepth(text_, *node, start));
    if (node->args.size() != spec->args.size()) {
      return errorAt(text_, start,
                     name + "() takes " + std::to_string(spec->args.size()) + " argument" +
                         (spec->args.size() == 1 ? "" : "s") + ", got " +
                         std::to_string(node->args.size()));
    }
    for (size_t i = 0; i < spec->args.size(); ++i) {
      const Node& arg = *node->args[i];
      if (arg.type != spec->args[i]) {
        std::string hint;
        if (spec->args[i] == ValueType::Matrix && arg.type == ValueType::Vector) {
          hint = "; add a range such as [5m]";
        } else if (arg.type == ValueType::Matrix) {
          hint = "; apply rate() or increase() to it";
        }
        std::string message = name;
        message.append("() needs ")
            .append(typeName(spec->args[i]))
            .append(" as argument ")
            .append(std::to_string(i + 1))
            .append(", got ")
            .append(typeName(arg.type))
            .append(hint);
        return errorAt(text_, arg.pos, message);
      }
    }
    return NodePtr(node);
  }

  const std::string& text_;
  size_t pos_ = 0;
  int nesting_ = 0;  // parseUnary() calls in progress
};

// --- Evaluation ------------------------------------------------------------------------------

struct RangeSeries {
  std::string name;
  Labels labels;
  std::vector<Tsdb::Point> points;
};

struct Value {
  ValueType type = ValueType::Vector;
  double scalar = 0;
  std::vector<Sample> vector;
  std::vector<RangeSeries> matrix;
};

double seconds(VirtualTime t) {
  return std::chrono::duration<double>(t).count();
}

// The label set of `labels` as a matching key: labels sorted by name, empty values left out
// (Prometheus stores no empty labels), restricted to `names` (on) or without them (ignoring).
std::string signature(const Labels& labels, const std::vector<std::string>& names, bool on) {
  std::vector<const std::pair<std::string, std::string>*> kept;
  for (const auto& l : labels) {
    if (l.second.empty()) {
      continue;
    }
    const bool listed = std::find(names.begin(), names.end(), l.first) != names.end();
    if (listed == on) {
      kept.push_back(&l);
    }
  }
  std::sort(kept.begin(), kept.end(), [](const auto* a, const auto* b) { return *a < *b; });
  std::string key;
  for (const auto* l : kept) {
    key += l->first;
    key += '\0';
    key += l->second;
    key += '\0';
  }
  return key;
}

// Prometheus' extrapolatedRate(): the increase of a counter over [range_start, range_end]
// from the points inside it, corrected for counter resets and extrapolated towards the range
// boundaries (not below zero, and by at most half a scrape interval where the series starts or
// ends inside the range).
std::optional<double> extrapolatedIncrease(const std::vector<Tsdb::Point>& points,
                                           VirtualTime range_start, VirtualTime range_end) {
  if (points.size() < 2) {
    return std::nullopt;
  }
  double result = points.back().value - points.front().value;
  double last = 0;
  for (const auto& p : points) {
    if (p.value < last) {
      result += last;  // a counter reset
    }
    last = p.value;
  }
  double to_start = seconds(points.front().t - range_start);
  const double to_end = seconds(range_end - points.back().t);
  const double sampled = seconds(points.back().t - points.front().t);
  const double average = sampled / static_cast<double>(points.size() - 1);
  if (result > 0 && points.front().value >= 0) {
    const double to_zero = sampled * (points.front().value / result);
    to_start = std::min(to_start, to_zero);
  }
  const double threshold = average * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average / 2;
  interval += to_end < threshold ? to_end : average / 2;
  return result * (interval / sampled);
}

class Evaluator {
public:
  Evaluator(const std::string& text, const Tsdb& tsdb, VirtualTime at)
      : text_(text), tsdb_(tsdb), at_(at) {}

  StatusOr<Value> eval(const Node& n) {
    switch (n.kind) {
      case Node::Kind::Number: {
        Value v;
        v.type = ValueType::Scalar;
        v.scalar = n.number;
        return v;
      }
      case Node::Kind::Selector:
        return select(n);
      case Node::Kind::Aggregate:
        return aggregate(n);
      case Node::Kind::Call:
        return call(n);
      case Node::Kind::Negate: {
        MESHSIM_ASSIGN_OR_RETURN(Value v, eval(*n.args[0]));
        v.scalar = -v.scalar;
        for (auto& s : v.vector) {
          s.value = -s.value;
          s.name.clear();
        }
        return v;
      }
      case Node::Kind::Binary:
        return binary(n);
    }
    return internalError("metric query: unknown node");
  }

private:
  StatusOr<Value> select(const Node& n) {
    Value out;
    out.type = n.type;
    const VirtualTime t = at_ - n.offset;
    const auto visit = [&](const Tsdb::Series& s) {
      if (!std::all_of(n.matchers.begin(), n.matchers.end(),
                       [&](const Matcher& m) { return m.matches(s.labels, s.name); })) {
        return;
      }
      if (n.type == ValueType::Matrix) {
        std::vector<Tsdb::Point> points = tsdb_.pointsIn(s, t, n.range);
        if (!points.empty()) {
          out.matrix.push_back(RangeSeries{s.name, s.labels, std::move(points)});
        }
      } else if (const Tsdb::Point* p = tsdb_.pointAt(s, t)) {
        out.vector.push_back(Sample{s.name, s.labels, p->value});
      }
    };
    if (!n.metric.empty()) {
      for (size_t i : tsdb_.seriesNamed(n.metric)) {
        visit(tsdb_.series()[i]);
      }
    } else {
      for (const auto& s : tsdb_.series()) {
        visit(s);
      }
    }
    return out;
  }

  StatusOr<Value> aggregate(const Node& n) {
    MESHSIM_ASSIGN_OR_RETURN(Value in, eval(*n.args[0]));
    // Group key: the kept labels in the order `by` gives them (or the remaining ones, in their
    // order, for without); labels with empty values do not exist in Prometheus.
    std::map<Labels, std::vector<double>> groups;
    for (const auto& s : in.vector) {
      Labels key;
      if (n.without) {
        for (const auto& l : s.labels) {
          if (!l.second.empty() &&
              std::find(n.grouping.begin(), n.grouping.end(), l.first) == n.grouping.end()) {
            key.push_back(l);
          }
        }
      } else {
        for (const auto& b : n.grouping) {
          for (const auto& l : s.labels) {
            if (l.first == b && !l.second.empty()) {
              key.push_back(l);
              break;
            }
          }
        }
      }
      groups[key].push_back(s.value);
    }
    Value out;
    for (const auto& [key, values] : groups) {
      double v = 0;
      if (n.name == "sum" || n.name == "avg") {
        for (double x : values) {
          v += x;
        }
        if (n.name == "avg") {
          v /= static_cast<double>(values.size());
        }
      } else if (n.name == "count") {
        v = static_cast<double>(values.size());
      } else if (n.name == "min") {
        v = *std::min_element(values.begin(), values.end());
      } else if (n.name == "max") {
        v = *std::max_element(values.begin(), values.end());
      }
      out.vector.push_back(Sample{"", key, v});
    }
    return out;
  }

  StatusOr<Value> call(const Node& n) {
    std::vector<Value> args;
    for (const auto& a : n.args) {
      MESHSIM_ASSIGN_OR_RETURN(Value v, eval(*a));
      args.push_back(std::move(v));
    }
    Value out;
    out.type = n.type;
    if (n.name == "rate" || n.name == "increase") {
      const Node& sel = *n.args[0];
      const VirtualTime end = at_ - sel.offset;
      const VirtualTime start = end - sel.range;
      for (const auto& s : args[0].matrix) {
        const std::optional<double> inc = extrapolatedIncrease(s.points, start, end);
        if (inc) {
          out.vector.push_back(
              Sample{"", s.labels, n.name == "rate" ? *inc / seconds(sel.range) : *inc});
        }
      }
    } else if (n.name == "histogram_quantile") {
      out.vector = quantiles(args[0].scalar, args[1].vector);
    } else if (n.name == "vector") {
      out.vector.push_back(Sample{"", {}, args[0].scalar});
    } else if (n.name == "scalar") {
      out.scalar = args[0].vector.size() == 1 ? args[0].vector.front().value
                                              : std::numeric_limits<double>::quiet_NaN();
    } else if (n.name == "time") {
      out.scalar = seconds(at_);
    } else {  // abs, clamp_min, clamp_max
      for (auto s : args[0].vector) {
        s.name.clear();
        if (n.name == "abs") {
          s.value = std::fabs(s.value);
        } else if (n.name == "clamp_min") {
          s.value = std::max(s.value, args[1].scalar);
        } else {
          s.value = std::min(s.value, args[1].scalar);
        }
        out.vector.push_back(std::move(s));
      }
    }
    return out;
  }

  // histogram_quantile(): one result per label set without `le`, in order of first appearance.
  static std::vector<Sample> quantiles(double q, const std::vector<Sample>& buckets) {
    struct Group {
      Labels labels;
      std::vector<Bucket> buckets;
    };
    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> index;
    static const std::vector<std::string> kLe = {"le"};
    for (const auto& s : buckets) {
      const std::string* le = nullptr;
      Labels rest;
      for (const auto& l : s.labels) {
        if (l.first == "le") {
          le = &l.second;
        } else {
          rest.push_back(l);
        }
      }
      if (le == nullptr) {
        continue;
      }
      char* end = nullptr;
      const double upper = std::strtod(le->c_str(), &end);
      if (end == le->c_str() || *end != '\0') {
        continue;
      }
      auto [it, inserted] = index.try_emplace(signature(s.labels, kLe, false), groups.size());
      if (inserted) {
        groups.push_back(Group{std::move(rest), {}});
      }
      groups[it->second].buckets.push_back(Bucket{upper, s.value});
    }
    std::vector<Sample> out;
    out.reserve(groups.size());
    for (auto& g : groups) {
      out.push_back(Sample{"", std::move(g.labels), bucketQuantile(q, std::move(g.buckets))});
    }
    return out;
  }

  static std::optional<double> arithmetic(BinOp op, double a, double b) {
    switch (op) {
      case BinOp::Add:
        return a + b;
      case BinOp::Sub:
        return a - b;
      case BinOp::Mul:
        return a * b;
      case BinOp::Div:
        return a / b;
      case BinOp::Mod:
        return std::fmod(a, b);
      case BinOp::Pow:
        return std::pow(a, b);
      default:
        return std::nullopt;
    }
  }

  static bool compare(BinOp op, double a, double b) {
    switch (op) {
      case BinOp::Eq:
        return a == b;
      case BinOp::Ne:
        return a != b;
      case BinOp::Lt:
        return a < b;
      case BinOp::Le:
        return a <= b;
      case BinOp::Gt:
        return a > b;
      case BinOp::Ge:
        return a >= b;
      default:
        return false;
    }
  }

  // Applies `op` to two values; for comparisons, returns whether to keep the element and
  // its value (the left one, or 0/1 with bool).
  static std::optional<double> apply(const Node& n, double a, double b) {
    if (!isComparison(n.op)) {
      return arithmetic(n.op, a, b);
    }
    const bool holds = compare(n.op, a, b);
    if (n.return_bool) {
      return holds ? 1.0 : 0.0;
    }
    return holds ? std::optional<double>(a) : std::nullopt;
  }

  // The labels of a result element whose left operand had `labels` (Prometheus'
  // resultMetric for one-to-one matching).
  static Labels resultLabels(const Node& n, const Labels& labels) {
    if (!n.matching) {
      return labels;
    }
    Labels out;
    for (const auto& l : labels) {
      const bool listed = std::find(n.labels.begin(), n.labels.end(), l.first) != n.labels.end();
      if (listed == n.on) {
        out.push_back(l);
      }
    }
    return out;
  }

  static bool dropsName(const Node& n) { return !isComparison(n.op) || n.return_bool; }

  StatusOr<Value> binary(const Node& n) {
    MESHSIM_ASSIGN_OR_RETURN(Value lhs, eval(*n.args[0]));
    MESHSIM_ASSIGN_OR_RETURN(Value rhs, eval(*n.args[1]));
    Value out;
    out.type = n.type;
    if (lhs.type == ValueType::Scalar && rhs.type == ValueType::Scalar) {
      out.scalar = apply(n, lhs.scalar, rhs.scalar).value_or(0);
      return out;
    }
    if (lhs.type == ValueType::Scalar || rhs.type == ValueType::Scalar) {
      const bool vector_left = lhs.type == ValueType::Vector;
      const double scalar = vector_left ? rhs.scalar : lhs.scalar;
      for (const auto& s : vector_left ? lhs.vector : rhs.vector) {
        const double a = vector_left ? s.value : scalar;
        const double b = vector_left ? scalar : s.value;
        std::optional<double> v = apply(n, a, b);
        if (!v) {
          continue;
        }
        if (isComparison(n.op) && !n.return_bool) {
          v = s.value;  // a filter keeps the vector's value, whichever side it is on
        }
        out.vector.push_back(Sample{dropsName(n) ? std::string() : s.name, s.labels, *v});
      }
      return out;
    }
    const std::vector<std::string>& names = n.labels;
    const bool on = n.matching && n.on;
    if (isSetOp(n.op)) {
      std::unordered_set<std::string> right;
      for (const auto& s : rhs.vector) {
        right.insert(signature(s.labels, names, on));
      }
      std::unordered_set<std::string> left;
      for (const auto& s : lhs.vector) {
        const std::string sig = signature(s.labels, names, on);
        left.insert(sig);
        const bool in_right = right.count(sig) != 0;
        if (n.op == BinOp::Or || (n.op == BinOp::And && in_right) ||
            (n.op == BinOp::Unless && !in_right)) {
          out.vector.push_back(s);
        }
      }
      if (n.op == BinOp::Or) {
        for (const auto& s : rhs.vector) {
          if (left.count(signature(s.labels, names, on)) == 0) {
            out.vector.push_back(s);
          }
        }
      }
      return out;
    }
    // One-to-one matching: every label set at most once on each side.
    std::unordered_map<std::string, const Sample*> right;
    for (const auto& s : rhs.vector) {
      if (!right.emplace(signature(s.labels, names, on), &s).second) {
        return errorAt(text_, n.pos,
                       "several series on the right-hand side match the same label set " +
                           describe(s.labels) +
                           " (many-to-many matching is not allowed; aggregate them or use "
                           "on (...) / ignoring (...))");
      }
    }
    std::unordered_set<std::string> matched;
    for (const auto& s : lhs.vector) {
      const std::string sig = signature(s.labels, names, on);
      auto it = right.find(sig);
      if (it == right.end()) {
        continue;
      }
      if (!matched.insert(sig).second) {
        return errorAt(text_, n.pos,
                       "several series on the left-hand side match the same label set " +
                           describe(s.labels) +
                           " (many-to-one matching needs group_left, which is not supported; "
                           "aggregate them first)");
      }
      const std::optional<double> v = apply(n, s.value, it->second->value);
      if (!v) {
        continue;
      }
      out.vector.push_back(Sample{dropsName(n) || (n.matching && n.on) ? std::string() : s.name,
                                  resultLabels(n, s.labels), *v});
    }
    return out;
  }

  static std::string describe(const Labels& labels) {
    std::string out = "{";
    for (const auto& [k, v] : labels) {
      if (v.empty()) {
        continue;
      }
      if (out.size() > 1) {
        out += ", ";
      }
      out += k + "=" + quoted(v);
    }
    return out + "}";
  }

  const std::string& text_;
  const Tsdb& tsdb_;
  VirtualTime at_;
};

}  // namespace

StatusOr<MetricQuery> MetricQuery::parse(const std::string& text) {
  Parser parser(text);
  MESHSIM_ASSIGN_OR_RETURN(auto root, parser.parseAll());
  MetricQuery q;
  q.text_ = text;
  q.root_ = std::move(root);
  return q;
}

namespace {

// Walks the query for checkNames(); `labels` is the union of every known series' label names.
Status checkNode(const std::string& text, const Node& n,
                 const std::map<std::string, std::set<std::string>>& known,
                 const std::set<std::string>& labels) {
  const auto unknown_label = [&](const std::string& label, const std::set<std::string>& of) {
    return label != "__name__" && label != "le" && of.count(label) == 0;
  };
  if (n.kind == Node::Kind::Selector) {
    const std::set<std::string>* of = &labels;
    if (!n.metric.empty()) {
      const auto it = known.find(n.metric);
      if (it == known.end()) {
        return errorAt(text, n.pos,
                       "no metric is named \"" + n.metric +
                           "\": nothing could ever match (meshsim records istio_requests_total, "
                           "istio_request_duration_milliseconds_bucket/_sum/_count, "
                           "istio_request_bytes_... and istio_response_bytes_...)");
      }
      of = &it->second;
    }
    for (const auto& m : n.matchers) {
      if (unknown_label(m.label, *of)) {
        return errorAt(text, m.pos,
                       "no series " + (n.metric.empty() ? std::string() : "of " + n.metric + " ") +
                           "has a label \"" + m.label + "\": nothing could ever match");
      }
    }
  }
  for (const auto* list : {&n.grouping, &n.labels}) {
    for (const auto& label : *list) {
      if (unknown_label(label, labels)) {
        return errorAt(text, n.pos, "no series has a label \"" + label + "\"");
      }
    }
  }
  for (const auto& arg : n.args) {
    MESHSIM_RETURN_IF_ERROR(checkNode(text, *arg, known, labels));
  }
  return okStatus();
}

}  // namespace

Status MetricQuery::checkNames(const std::map<std::string, std::set<std::string>>& known) const {
  std::set<std::string> labels;
  for (const auto& [name, names] : known) {
    labels.insert(names.begin(), names.end());
  }
  return checkNode(text_, *root_, known, labels);
}

bool MetricQuery::returnsScalar() const {
  return root_->type == ValueType::Scalar;
}

StatusOr<std::vector<Sample>> MetricQuery::evaluate(const Tsdb& tsdb, VirtualTime at) const {
  Evaluator evaluator(text_, tsdb, at);
  MESHSIM_ASSIGN_OR_RETURN(Value v, evaluator.eval(*root_));
  if (v.type == ValueType::Scalar) {
    return std::vector<Sample>{Sample{"", {}, v.scalar}};
  }
  return std::move(v.vector);
}

StatusOr<double> MetricQuery::evaluateScalar(const Tsdb& tsdb, VirtualTime at) const {
  MESHSIM_ASSIGN_OR_RETURN(std::vector<Sample> result, evaluate(tsdb, at));
  if (result.empty()) {
    return 0.0;
  }
  if (result.size() > 1) {
    return invalidArgumentError("metric query " + text_ + " returns " +
                                std::to_string(result.size()) +
                                " series; aggregate them, e.g. sum(...)");
  }
  return result.front().value;
}

std::vector<Sample> MetricQuery::evaluate(const std::vector<Sample>& samples) const {
  Tsdb tsdb;
  tsdb.scrape(VirtualTime{0}, samples);
  auto result = evaluate(tsdb, VirtualTime{0});
  return result.ok() ? std::move(result).value() : std::vector<Sample>{};
}

StatusOr<double> MetricQuery::evaluateScalar(const std::vector<Sample>& samples) const {
  Tsdb tsdb;
  tsdb.scrape(VirtualTime{0}, samples);
  return evaluateScalar(tsdb, VirtualTime{0});
}

}  // namespace meshsim::sim::telemetry
