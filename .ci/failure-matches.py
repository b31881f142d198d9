"""Whether a JUnit XML report has a failing test case whose name or failure message matches a regex.
usage: failure-matches.py REPORT.xml REGEX  (exit 0 if one does)"""
import re
import sys
import xml.etree.ElementTree as ET

report, pattern = sys.argv[1], re.compile(sys.argv[2])
for case in ET.parse(report).getroot().iter('testcase'):
    for outcome in list(case.findall('failure')) + list(case.findall('error')):
        text = ' '.join([case.get('name', ''), outcome.get('message') or '', (outcome.text or '')[:4000]])
        if pattern.search(text):
            sys.exit(0)
sys.exit(1)
