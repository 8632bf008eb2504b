#!/usr/bin/env python3
"""The ten questions and each model's answer from the web chat, as Markdown.

usage: transcript.py TRANSCRIPT_JSON
"""
import json
import sys


def main():
    rows = json.load(open(sys.argv[1], encoding="utf-8"))
    for n, row in enumerate(rows, 1):
        print(f"### {n}. {row['question']}\n")
        for model, answer in row["answers"].items():
            text = " ".join((answer or "").split())
            print(f"- **{model}**: {text}")
        print()


if __name__ == "__main__":
    main()
