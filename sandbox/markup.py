"""Telegram-style HTML parsing: plain text, entities and the Bot API's error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag → entity type, exactly the set the Bot API documents for parse_mode=HTML.
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n"
_UNQUOTED_VALUE = re.compile(r"[A-Za-z0-9.\-]*")
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class HtmlParseError(ValueError):
    """The text is not HTML that Telegram would accept."""


@dataclass
class _Open:
    """A start tag waiting for its end tag."""

    tag: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the plain text, as Telegram counts entity offsets


@dataclass
class _Parser:
    """State of one parse; mirrors how Telegram's server walks the string left to right."""

    src: str
    strict_entities: bool
    pos: int = 0
    out: list[str] = field(default_factory=list)
    utf16: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def byte_offset(self, index: int) -> int:
        """Telegram reports positions in UTF-8 bytes of the original text."""
        return len(self.src[:index].encode("utf-8"))

    def at(self, index: int) -> str:
        """The character at index, or '' past the end (Telegram's NUL terminator)."""
        return self.src[index] if index < len(self.src) else ""

    def emit(self, chars: str) -> None:
        """Append plain text and advance the UTF-16 cursor."""
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def skip_spaces(self, index: int) -> int:
        """Index of the first non-space at or after index."""
        while self.at(index) and self.at(index) in _SPACES:
            index += 1
        return index


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities) or raise HtmlParseError."""
    p = _Parser(text, strict_entities)
    while p.pos < len(text):
        ch = text[p.pos]
        if ch == "&":
            _entity(p)
        elif ch == "<":
            if p.at(p.pos + 1) == "/":
                _end_tag(p)
            else:
                _start_tag(p)
        else:
            p.emit(ch)
            p.pos += 1
    if p.stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{p.stack[-1].tag}"')
    p.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(p.out), p.entities


def _entity(p: _Parser) -> None:
    """Decode a character reference at p.pos, or keep '&' literally like Telegram does."""
    start = p.pos
    if p.at(start + 1) == "#":
        decoded, end = _numeric_reference(p.src, start)
    else:
        end = start + 1
        while p.at(end).isascii() and p.at(end).isalpha():
            end += 1
        name = p.src[start + 1 : end]
        decoded = _NAMED_ENTITIES.get(name)
        if decoded is None and name and p.at(end) == ";" and p.strict_entities:
            # Telegram keeps unknown named entities verbatim; strict mode flags them because
            # they almost always mean user text reached the bot's HTML unescaped.
            raise HtmlParseError(
                f'Unsupported HTML entity "&{name};" at byte offset {p.byte_offset(start)}'
            )
    if decoded is None:
        p.emit("&")
        p.pos = start + 1
        return
    if p.at(end) == ";":
        end += 1
    p.emit(decoded)
    p.pos = end


def _numeric_reference(src: str, start: int) -> tuple[str | None, int]:
    """Decode '&#123' / '&#x1F600' starting at start; (None, start) if it is not one."""
    hexadecimal = src[start + 2 : start + 3] in ("x", "X")
    digits_at = start + (3 if hexadecimal else 2)
    match = re.compile(r"[0-9A-Fa-f]+" if hexadecimal else r"[0-9]+").match(src, digits_at)
    if not match or len(match.group()) > 8:
        return None, start
    code = int(match.group(), 16 if hexadecimal else 10)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None, start
    return chr(code), match.end()


def _start_tag(p: _Parser) -> None:
    """Parse '<tag attr=value ...>' and open an entity."""
    begin = p.pos
    i = begin + 1
    while p.at(i) and p.at(i) not in _SPACES and p.at(i) != ">":
        i += 1
    if not p.at(i):
        raise HtmlParseError(f"Unclosed start tag at byte offset {p.byte_offset(begin)}")
    tag = p.src[begin + 1 : i].lower()
    if tag not in _TAG_ENTITY:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {p.byte_offset(begin)}')
    attrs, i = _attributes(p, tag, begin, i)
    _check_tag(p, tag, attrs, begin)
    p.stack.append(_Open(tag, attrs, p.utf16))
    p.pos = i + 1


def _attributes(p: _Parser, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
    """Parse attributes up to the closing '>'; returns them and the index of '>'."""
    attrs: dict[str, str] = {}
    where = f'the tag "{tag}" at byte offset {p.byte_offset(begin)}'
    while p.at(i) != ">":
        i = p.skip_spaces(i)
        if p.at(i) == ">":
            break
        name_at = i
        while p.at(i) and p.at(i) not in _SPACES and p.at(i) not in "=>":
            i += 1
        name = p.src[name_at:i].lower()
        if not name:
            raise HtmlParseError(f"Empty attribute name in {where}")
        i = p.skip_spaces(i)
        if p.at(i) != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            if not p.at(i):
                raise HtmlParseError(
                    f'Unclosed start tag "{tag}" at byte offset {p.byte_offset(begin)}'
                )
            raise HtmlParseError(f"Expected equal sign in declaration of an attribute of {where}")
        i = p.skip_spaces(i + 1)
        if not p.at(i):
            raise HtmlParseError(
                f'Unclosed start tag "{tag}" at byte offset {p.byte_offset(begin)}'
            )
        attrs[name], i = _attribute_value(p, begin, i)
    return attrs, i


def _attribute_value(p: _Parser, begin: int, i: int) -> tuple[str, int]:
    """Parse a quoted or bare attribute value starting at i."""
    quote = p.at(i)
    if quote in ("'", '"'):
        end = p.src.find(quote, i + 1)
        if end < 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {p.byte_offset(begin)}")
        value, _ = parse_html(p.src[i + 1 : end].replace("<", "&lt;"), strict_entities=False)
        return value, end + 1
    match = _UNQUOTED_VALUE.match(p.src, i)
    end = match.end() if match else i
    if p.at(end) and p.at(end) not in _SPACES and p.at(end) != ">":
        raise HtmlParseError(f"Unexpected end of name token at byte offset {p.byte_offset(i)}")
    return p.src[i:end], end


def _check_tag(p: _Parser, tag: str, attrs: dict[str, str], begin: int) -> None:
    """Tag-specific rules Telegram enforces on attributes."""
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {p.byte_offset(begin)}'
        )
    if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlParseError("Invalid custom emoji identifier specified")


def _end_tag(p: _Parser) -> None:
    """Parse '</tag>' (or '</>') and close the innermost entity."""
    begin = p.pos
    if not p.stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {p.byte_offset(begin)}")
    i = begin + 2
    while p.at(i) and p.at(i) not in _SPACES and p.at(i) != ">":
        i += 1
    name = p.src[begin + 2 : i].lower()
    i = p.skip_spaces(i)
    if p.at(i) != ">":
        raise HtmlParseError(f"Unclosed end tag at byte offset {p.byte_offset(begin)}")
    top = p.stack[-1]
    if name and name != top.tag:
        raise HtmlParseError(
            f"Unmatched end tag at byte offset {p.byte_offset(begin)}, "
            f'expected "</{top.tag}>", found "</{name}>"'
        )
    p.stack.pop()
    _close_entity(p, top)
    p.pos = i + 1


def _close_entity(p: _Parser, opened: _Open) -> None:
    """Turn a closed tag into a MessageEntity dict (empty ranges produce none)."""
    length = p.utf16 - opened.offset
    if length <= 0:
        return
    kind = _TAG_ENTITY[opened.tag]
    entity: dict[str, Any] = {"type": kind, "offset": opened.offset, "length": length}
    if kind == "text_link":
        if not opened.attrs.get("href"):
            return
        entity["url"] = opened.attrs["href"]
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    elif kind == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "pre" and opened.attrs.get("language"):
        entity["language"] = opened.attrs["language"]
    elif kind == "code" and _merge_into_pre(p, opened):
        return
    p.entities.append(entity)


def _merge_into_pre(p: _Parser, opened: _Open) -> bool:
    """<pre><code class="language-x"> becomes one pre entity carrying the language."""
    language = opened.attrs.get("class", "")
    parent = p.stack[-1] if p.stack else None
    if not (language.startswith("language-") and parent and parent.tag == "pre"):
        return False
    parent.attrs["language"] = language.removeprefix("language-")
    return True


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram and shift/clip entities to match."""
    stripped = text.strip()
    if not stripped:
        return "", []
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities for '/cmd' tokens, as Telegram attaches to incoming messages."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": len(m.group())}
        for m in _COMMAND.finditer(text)
    ]
