#!/usr/bin/env python3
"""Writes sbsync's man page (troff, section 1) from the tool's own help text.

Usage: scripts/manpage.py PATH/TO/sbsync > sbsync.1

The page is made from `sbsync --experimental-dump-help` (swift-argument-parser's description of
every command, the same text `--help` prints), so it cannot drift from the tool. Used by
`make install`; a test runs it against the built binary.
"""
import json
import subprocess
import sys


def escape(text):
    """Text as troff reads it: backslashes doubled, a leading dot or quote made harmless."""
    text = (text or "").replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def discussion(info):
    value = info.get("discussion")
    if isinstance(value, dict):  # newer dumps: {"staticText": …} or enumerated values
        return value.get("staticText") or ""
    return value or ""


def names(argument):
    shown = []
    for name in argument.get("names") or []:
        prefix = "--" if name["kind"] == "long" else "-"
        shown.append(prefix + name["name"])
    return shown


def argument_entry(argument):
    if not argument.get("shouldDisplay", True):
        return ""
    value = argument.get("valueName")
    if argument["kind"] == "positional":
        head = "\\fI" + escape(value or "value") + "\\fR"
    else:
        head = ", ".join("\\fB" + escape(n) + "\\fR" for n in names(argument))
        if argument["kind"] == "option" and value:
            head += " \\fI" + escape(value) + "\\fR"
    body = escape(argument.get("abstract", ""))
    more = discussion(argument)
    if more:
        body += "\n" + escape(more)
    return ".TP\n" + head + "\n" + body + "\n"


def command_section(info, path, top):
    out = ""
    if not top:
        out += ".SS " + escape(" ".join(path)) + "\n"
    abstract = info.get("abstract", "")
    if abstract and not top:
        out += escape(abstract) + "\n.PP\n"
    more = discussion(info)
    if more:
        out += escape(more) + "\n"
    arguments = [a for a in info.get("arguments") or [] if a.get("shouldDisplay", True)]
    if arguments:
        if top:
            out += ".SH OPTIONS\n"
        else:
            out += ".PP\n\\fBOptions\\fR\n"
        out += "".join(argument_entry(a) for a in arguments)
    return out


def walk(info, path):
    for sub in info.get("subcommands") or []:
        if sub["commandName"] == "help":
            continue
        here = path + [sub["commandName"]]
        yield sub, here
        yield from walk(sub, here)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: manpage.py PATH/TO/sbsync")
    dump = json.loads(subprocess.run([sys.argv[1], "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)
    root = dump["command"]
    name = root["commandName"]
    out = '.TH %s 1 "" "%s" "User Commands"\n' % (name.upper(), name)
    out += ".SH NAME\n%s \\- %s\n" % (name, escape(root.get("abstract", "")))
    out += ".SH SYNOPSIS\n.B %s\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n" % name
    out += ".SH DESCRIPTION\n" + command_section(root, [name], top=True)
    out += ".SH COMMANDS\n"
    for sub, path in walk(root, [name]):
        out += command_section(sub, path, top=False)
    out += ".SH SEE ALSO\nThe README of sbsync; \\fBsbsync \\fICOMMAND\\fB \\-\\-help\\fR.\n"
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
