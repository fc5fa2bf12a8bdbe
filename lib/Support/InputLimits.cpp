//===- InputLimits.cpp - limits checked before parsing ----------*- C++ -*-===//
//
// Part of the attn-mlir project.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/InputLimits.h"

using namespace llvm;

/// "NAME:LINE:COL: MESSAGE" for offset `pos` of `text`.
static Error errorAt(StringRef text, StringRef name, size_t pos,
                     const Twine &message) {
  StringRef before = text.take_front(pos);
  size_t line = before.count('\n') + 1;
  size_t lineStart = before.rfind('\n');
  size_t col = lineStart == StringRef::npos ? pos + 1 : pos - lineStart;
  return createStringError(name + ":" + Twine(line) + ":" + Twine(col) + ": " +
                           message);
}

/// Offset of the first `KEY =` followed by neither `[int (, int)*]` nor
/// `array<`, or npos.
static size_t findMalformedList(StringRef text, StringRef key) {
  for (size_t at = text.find(key); at != StringRef::npos;
       at = text.find(key, at + 1)) {
    // Not in a comment (strings holding the key would need quotes first).
    size_t lineStart = text.rfind('\n', at);
    lineStart = lineStart == StringRef::npos ? 0 : lineStart + 1;
    if (text.slice(lineStart, at).contains("//"))
      continue;
    StringRef rest = text.drop_front(at + key.size()).ltrim();
    if (!rest.consume_front("="))
      continue;
    rest = rest.ltrim();
    // `[i, j, ...]` in the custom syntax, `array<i64: i, j, ...>` in the
    // generic one; anything else crashes the custom parsers.
    char close = ']';
    if (rest.consume_front("array<")) {
      rest = rest.ltrim();
      if (!rest.consume_front("i64") || !rest.ltrim().starts_with(":"))
        return text.size() - rest.size();
      rest = rest.ltrim().drop_front();
      close = '>';
    } else if (!rest.consume_front("[")) {
      return text.size() - rest.size();
    }
    size_t listStart = text.size() - rest.size();
    bool expectInt = true, first = true;
    while (true) {
      rest = rest.ltrim();
      if (!rest.empty() && rest.front() == close) {
        if (expectInt && !first)
          return listStart;
        break;
      }
      if (expectInt) {
        rest.consume_front("-");
        size_t digits = rest.find_first_not_of("0123456789");
        if (digits == 0 || rest.empty())
          return listStart;
        rest = rest.drop_front(std::min(digits, rest.size()));
        expectInt = false;
      } else if (rest.consume_front(",")) {
        expectInt = true;
      } else {
        return listStart;
      }
      first = false;
    }
  }
  return StringRef::npos;
}

Error mlir::attn::checkInputLimits(StringRef text, StringRef name,
                                   unsigned limit) {
  for (StringRef key : {"permutation", "dimensions"}) {
    size_t bad = findMalformedList(text, key);
    if (bad != StringRef::npos)
      return errorAt(text, name, bad,
                     "expected '[' and a list of integers after '" + key +
                         " ='");
  }
  unsigned depth = 0;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    switch (c) {
    case '"':
      // A string literal: skip to its closing quote.
      for (++i; i < e && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      break;
    case '/':
      if (i + 1 < e && text[i + 1] == '/')
        while (i + 1 < e && text[i + 1] != '\n')
          ++i;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (++depth > limit)
        return errorAt(text, name, i,
                       "nesting deeper than " + Twine(limit) +
                           " levels is not supported");
      break;
    case '>':
      // `->` is an arrow, not a bracket.
      if (i > 0 && text[i - 1] == '-')
        break;
      [[fallthrough]];
    case ')':
    case ']':
    case '}':
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
  }
  return Error::success();
}
