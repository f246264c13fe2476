# cfninit14.py SRC: runs aws-cfn-bootstrap 1.4's own SysVInitTool.apply
# (SRC/cfnbootstrap/service_tools.py, unchanged) on each services entry of
# the configs given as JSON on stdin, with the tools stubbed to record the
# commands they would run, and prints what it did as JSON. cfn-init 1.4 is
# Python 2; its service_tools.py also parses as Python 3, util.py does not,
# so util.interpret_boolean is taken from util.py's text as written and the
# process runner is a recorder. CloudFormationCarpenter's dispatch of the
# services keys is read from construction.py's _serviceTools.
import collections, json, re, sys, types

src = sys.argv[1]
util_src = open(src + "/cfnbootstrap/util.py").read()
trues = re.search(r"^_trues = .*$", util_src, re.M).group(0)
fn = re.search(r"^def interpret_boolean\(input\):\n(?:(?:    .*)?\n)+", util_src, re.M).group(0)
util = types.ModuleType("cfnbootstrap.util")
util.basestring = str
exec(trues + "\n" + fn, util.__dict__)
calls = []

class ProcessHelper(object):
    def __init__(self, cmd, **kw):
        self.cmd = cmd
    def call(self):
        calls.append(" ".join(self.cmd))
        return types.SimpleNamespace(returncode=0, stdout="")

util.ProcessHelper = ProcessHelper
sys.modules["cfnbootstrap.util"] = util
# The package without its __init__.py (Python 2 only): a namespace over
# the source directory.
cfnbootstrap = types.ModuleType("cfnbootstrap")
cfnbootstrap.__path__ = [src + "/cfnbootstrap"]
cfnbootstrap.util = util
sys.modules["cfnbootstrap"] = cfnbootstrap
from cfnbootstrap import service_tools
service_tools.Chkconfig.installed = classmethod(lambda c: False)
service_tools.UpdateRcD.installed = classmethod(lambda c: True)
service_tools.os.path.exists = lambda p: p in ("/usr/sbin/update-rc.d", "/usr/sbin/service")
construction = open(src + "/cfnbootstrap/construction.py").read()
tools = re.search(r"_serviceTools = \{(.*?)\}", construction).group(1)
managers = re.findall(r'"(\w+)"\s*:', tools)

class D(dict):
    def iteritems(self):
        return iter(list(self.items()))

def wrap(v):
    if isinstance(v, dict):
        return D((k, wrap(x)) for k, x in v.items())
    if isinstance(v, list):
        return [wrap(x) for x in v]
    return v

out = []
for cfg in json.load(sys.stdin):
    config = wrap(cfg["config"])
    changes = collections.defaultdict(list)
    changes["packages"] = D()
    for manager in config.get("packages") or {}:
        if manager in ("yum", "rubygems", "python", "rpm", "apt", "msi"):
            changes["packages"][manager] = []
    for section in ("groups", "users", "sources", "files", "commands"):
        if config.get(section):
            changes[section] = ["changed"]
    entries = []
    for manager, services in (config.get("services") or {}).items():
        if manager not in managers:
            entries.append({"manager": manager, "unsupported": True})
            continue
        if manager != "sysvinit":
            continue
        for name in services:
            del calls[:]
            raised = None
            try:
                service_tools.SysVInitTool().apply(D({name: services[name]}), changes)
            except Exception as e:
                raised = type(e).__name__
            entries.append({"manager": manager, "service": name, "calls": list(calls), "raised": raised})
    out.append({"config": cfg["name"], "entries": entries})
json.dump(out, sys.stdout)
