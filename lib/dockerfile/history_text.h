#pragma once
// The "created_by" text BuildKit writes into image history for each
// instruction, so images built by kiln read the same in `docker history`.
#include <string>
#include <utility>
#include <vector>

#include "dockerfile/instructions.h"

namespace kiln::dockerfile {

// "RUN |2 a=1 b=2 /bin/sh -c make # buildkit" (the |N part only when the
// stage declared ARGs; the caller leaves proxy args out).
std::string run_history(const std::vector<std::string>& argv,
                        const std::vector<std::pair<std::string, std::string>>& args);
// "COPY a b /dest/ # buildkit", heredoc sources as "<<NAME".
std::string copy_history(const std::string& keyword, const std::vector<std::string>& sources,
                         const std::vector<Heredoc>& inline_sources, const std::string& dest);
// "CMD [\"/bin/sh\" \"-c\" \"echo hi\"]" (Go %q of the argv).
std::string argv_history(const std::string& keyword, const std::vector<std::string>& argv);
// "ENV a=1 b=2", "LABEL k=v".
std::string key_value_history(const std::string& keyword, const std::vector<KeyValue>& kvs);
// "EXPOSE map[443/tcp:{} 80/tcp:{}]" (Go prints map keys sorted).
std::string expose_history(const std::vector<std::string>& normalized_ports);
// "HEALTHCHECK &{[\"CMD-SHELL\" \"curl x\"] \"5m0s\" \"3s\" \"0s\" \"0s\" '\x03'}"
std::string healthcheck_history(const HealthcheckInst& h);
// "ARG a=1 b": each ARG with the value it resolved to (nullopt: no value).
// The caller passes only the Dockerfile default for proxy args.
std::string arg_history(const std::vector<std::pair<std::string, std::optional<std::string>>>& args);

}  // namespace kiln::dockerfile
