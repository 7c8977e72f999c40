#pragma once
// How many CPUs this process may really use: the CPUs it may run on (its affinity mask, which a
// container's cpuset narrows), capped by a cgroup v2 CPU quota (`cpu.max`, a Kubernetes CPU
// limit) rounded up. std::thread::hardware_concurrency() counts every CPU of the host, so a
// pod limited to 2 CPUs on a 64-CPU node would start 64 event loops.

namespace pulseboard {

// At least 1.
unsigned usable_cpus();

// The quota in `cpu.max` text ("<quota> <period>" or "max <period>") in CPUs, rounded up; 0 when
// there is none or the text is not understood.
unsigned cpus_of_quota(const char* cpu_max);

}  // namespace pulseboard
