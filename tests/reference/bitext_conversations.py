"""The Bitext customer-support conversations the TRL comparisons train on (tests/cli/sft_vs_trl.sh,
bench/run): N single-turn conversations with answers of at most 400 characters, spread evenly
over the file (so over its intents), as {"messages": [user, assistant]} JSONL.

usage: bitext_conversations.py BITEXT.csv OUT.jsonl [N=40]
"""
import csv
import json
import sys


def main(csv_path, out_path, n=40):
    rows = [r for r in csv.DictReader(open(csv_path, encoding="utf-8")) if len(r["response"]) <= 400]
    with open(out_path, "w") as out:
        for r in rows[::len(rows) // n][:n]:
            out.write(json.dumps({"messages": [{"role": "user", "content": r["instruction"]},
                                               {"role": "assistant", "content": r["response"]}]}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:4]))
