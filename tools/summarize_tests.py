"""Counts test cases from Bazel build-event files: prints `N passed, M failed`.

Each argument is a --build_event_json_file from one `bazel test` run. A test
target contributes the cases in its test.xml; a target that failed without
reporting a failing case (crash, timeout, build failure) counts as one failure.
"""

import json
import sys
import urllib.parse
import xml.etree.ElementTree as ElementTree


def count_cases(xml_path):
    """Returns (passed, failed) test cases in a JUnit XML file."""
    try:
        root = ElementTree.parse(xml_path).getroot()
    except (OSError, ElementTree.ParseError):
        return 0, 0
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is None:
            passed += 1
    return passed, failed


def summarize(bep_path):
    passed = failed = 0
    failed_targets = []
    with open(bep_path) as events:
        for line in events:
            event = json.loads(line)
            ident = event.get("id", {})
            if "testResult" in ident:
                label = ident["testResult"]["label"]
                result = event.get("testResult", {})
                status = result.get("status", "NO_STATUS")
                xml_files = [
                    urllib.parse.urlparse(out["uri"]).path
                    for out in result.get("testActionOutput", [])
                    if out.get("name") == "test.xml"
                ]
                p, f = (0, 0)
                for path in xml_files:
                    cp, cf = count_cases(path)
                    p, f = p + cp, f + cf
                if status != "PASSED":
                    f = max(f, 1)
                    failed_targets.append(f"{label} ({status})")
                elif p == 0:
                    p = 1
                passed, failed = passed + p, failed + f
            elif "testSummary" in ident:
                status = event.get("testSummary", {}).get("overallStatus")
                if status in ("FAILED_TO_BUILD", "NO_STATUS", "INCOMPLETE"):
                    failed += 1
                    failed_targets.append(f"{ident['testSummary']['label']} ({status})")
    return passed, failed, failed_targets


def main(paths):
    total_passed = total_failed = 0
    for path in paths:
        passed, failed, failed_targets = summarize(path)
        total_passed += passed
        total_failed += failed
        for target in failed_targets:
            print(f"FAILED: {target} [{path}]")
    print(f"{total_passed} passed, {total_failed} failed")
    return 0 if total_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
