"""What a chat command answers, as plain data: each adapter renders it (Block Kit, Discord
components). Text uses only markup both platforms share: `code` and <#channel>/<@user>."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ButtonAction(StrEnum):
    """What a button does when pressed; its ``value`` says to what."""

    CANCEL = "cancel"  # value: post id
    PUBLISH_NOW = "publish_now"  # value: post id
    LIST_PAGE = "list_page"  # value: "<group>:<page>"
    INBOX_READ = "inbox_read"  # value: "all" (the presser's own notices)
    AUDIT_PAGE = "audit_page"  # value: "<page>"


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Button:
    action: ButtonAction
    label: str
    value: str
    style: ButtonStyle = ButtonStyle.DEFAULT
    #: When set, the adapter asks this question before acting.
    confirm: str = ""


@dataclass(frozen=True)
class Item:
    """One thing in a reply (a post, an account, a command) with its own buttons."""

    title: str
    lines: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Reply:
    text: str
    items: tuple[Item, ...] = ()
    #: Buttons for the reply as a whole (pages).
    buttons: tuple[Button, ...] = ()
    #: Seen by the whole channel; otherwise only by the person who asked.
    public: bool = False
    #: The reply is a refusal or an error.
    error: bool = False
