# bash completion for cattop(1)                            -*- shell-script -*-
# Installed as share/bash-completion/completions/cattop (loaded on demand by
# bash-completion); works without bash-completion too: `source` it.
# tests/install/test_install.sh drives it through COMP_WORDS / COMP_CWORD.

# PIDs of the processes cattop could trace: those that look like async Rust
# first (a runtime's worker threads, or, for the user's own processes, a
# Rust binary), then the rest; kernel threads (no executable) left out.
_cattop_pids()
{
	local cur=$1 dir pid arg0 rust=() other=()
	local -A _cattop_seen=() # executable -> 0 (Rust) or 1, once per completion
	for dir in /proc/[0-9]*; do
		pid=${dir#/proc/}
		[[ $pid == "$cur"* ]] || continue
		# A kernel thread (or a zombie) has an empty command line.
		arg0=
		IFS= read -r -d '' arg0 2>/dev/null <"$dir/cmdline"
		[[ $arg0 ]] || continue
		if _cattop_is_rust "$dir"; then
			rust+=("$pid")
		else
			other+=("$pid")
		fi
	done
	COMPREPLY=("${rust[@]}" "${other[@]}")
	# Keep the Rust ones first (bash >= 4.4; outside completion it fails).
	((${#COMPREPLY[@]} > 1)) && compopt -o nosort 2>/dev/null
	return 0
}

_cattop_is_rust()
{
	local dir=$1 t comm exe size
	# Worker threads named by tokio, async-std, smol / async-io, blocking.
	for t in "$dir"/task/*/comm; do
		read -r comm 2>/dev/null <"$t" || continue
		case $comm in
		tokio-runtime-w* | async-std/runti* | async-io | blocking-[0-9]* | smol-*)
			return 0
			;;
		esac
	done
	# A readable executable (the user's own process) that links Rust's std:
	# its panic machinery's symbol, looked for in binaries up to 256 MiB.
	exe=$(readlink "$dir/exe" 2>/dev/null) || return 1
	[[ -r $exe && -f $exe ]] || return 1
	if [[ -z ${_cattop_seen[$exe]} ]]; then
		_cattop_seen[$exe]=1
		size=$(stat -Lc %s -- "$exe" 2>/dev/null) &&
			((size <= 268435456)) &&
			LC_ALL=C grep -qaF -m1 -e rust_begin_unwind -e rust_panic -- "$exe" \
				2>/dev/null &&
			_cattop_seen[$exe]=0
	fi
	return "${_cattop_seen[$exe]}"
}

# The [runtime NAME] sections of a config file given earlier with -c.
_cattop_config_runtimes()
{
	local i file=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config) file=${COMP_WORDS[i + 1]} ;;
		--config=*) file=${COMP_WORDS[i]#--config=} ;;
		esac
	done
	file=${file/#\~/$HOME}
	[[ $file && -r $file ]] || return 0
	sed -n 's/^[[:space:]]*\[runtime[[:space:]]\{1,\}\([^]]*\)\][[:space:]]*$/\1/p' -- "$file" 2>/dev/null
}

_cattop_files()
{
	local cur=$1
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	compopt -o filenames 2>/dev/null
	return 0
}

_cattop()
{
	local cur prev word mode=live i dashdash=0 have_file=0 prefix=
	local -a opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: one word, or three when COMP_WORDBREAKS splits at '='.
	if [[ $cur == "=" && $prev == --* ]]; then
		cur=
	elif [[ $prev == "=" && $COMP_CWORD -ge 2 && ${COMP_WORDS[COMP_CWORD - 2]} == --* ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
		prefix=$prev=
	fi

	case ${COMP_WORDS[1]} in
	record | replay | export) ((COMP_CWORD > 1)) && mode=${COMP_WORDS[1]} ;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $word == -- ]]; then
			dashdash=$i
			break
		fi
	done

	# After --: the command and its own arguments.
	if ((dashdash)); then
		if declare -F _command_offset >/dev/null; then
			_command_offset $((dashdash + 1))
		elif ((COMP_CWORD == dashdash + 1)); then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
		else
			_cattop_files "$cur"
		fi
		return 0
	fi

	case $prev in
	-p | --pid)
		_cattop_pids "${cur##*,}" # a list: the pid after the last comma
		[[ $cur == *,* ]] && COMPREPLY=("${COMPREPLY[@]/#/${cur%,*},}")
		return 0
		;;
	--pidof)
		# program names of running processes (as pidof takes them)
		mapfile -t COMPREPLY < <(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)" \
			-- "$cur")
		return 0
		;;
	--runtime)
		mapfile -t COMPREPLY < <(compgen -W "auto tokio async-std smol futures-threadpool
			futures-localpool futures-block_on any $(_cattop_config_runtimes)" -- "$cur")
		;;
	--scope)
		mapfile -t COMPREPLY < <(compgen -W "app all" -- "$cur")
		;;
	--duty)
		mapfile -t COMPREPLY < <(compgen -W "5 10 20 50 100" -- "$cur") # a percentage, 1-100
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W "chrome perfetto folded html" -- "$cur")
		;;
	-s | --sort)
		mapfile -t COMPREPLY < <(compgen -W "longest idle last busy busy% polls slow inflight
			state sched id name" -- "$cur")
		;;
	-c | --config | --debug-file)
		_cattop_files "$cur"
		;;
	--snapshot | -o | --output)
		_cattop_files "$cur"
		[[ - == "$cur"* ]] && COMPREPLY=(- "${COMPREPLY[@]}") # stdout
		;;
	--listen)
		mapfile -t COMPREPLY < <(compgen -W "127.0.0.1:9464 [::1]:9464 :9464" -- "$cur")
		;;
	-d | --delay | --duration | -n | --iterations | -r | --rows | -t | --threshold | \
		--focus | --exclude | --max-size)
		return 0 # a value of the user's own
		;;
	*)
		if [[ $cur == -* ]]; then
			case $mode in
			live)
				opts=(-p --pid --pidof -b --batch -q --quiet --listen -d --delay -n --iterations
					-r --rows -s --sort -t --threshold -c --config --snapshot --tasks-only
					--light --duty --focus --runtime --scope --exclude --no-color --no-wakes --no-split
					--debug-file --no-cache -v --verbose -h --help -V --version --)
				;;
			record)
				opts=(-p --pid --pidof -o --output -d --duration --max-size -t --threshold
					-c --config --snapshot --tasks-only --focus --runtime --scope
					--exclude --no-wakes --no-split --debug-file --no-cache -v --verbose -h --help --)
				;;
			replay)
				opts=(-b --batch -q --quiet -d --delay -n --iterations -r --rows -s --sort
					-t --threshold -c --config --snapshot --no-color -v --verbose
					-h --help)
				;;
			export)
				opts=(--format -o --output -c --config -h --help)
				;;
			esac
			mapfile -t COMPREPLY < <(compgen -W "${opts[*]}" -- "$cur")
		elif ((COMP_CWORD == 1)); then
			mapfile -t COMPREPLY < <(compgen -W "record replay export" -- "$cur")
		elif [[ $mode == replay || $mode == export ]]; then
			# The recording: one file argument.
			for ((i = 2; i < COMP_CWORD; i++)); do
				word=${COMP_WORDS[i]}
				case $word in
				-c | --config | --snapshot | -o | --output | --format | -d | --delay | \
					-n | --iterations | -r | --rows | -s | --sort | -t | --threshold)
					((i++))
					;;
				-*) ;;
				*) have_file=1 ;;
				esac
			done
			((have_file)) || _cattop_files "$cur"
		fi
		;;
	esac
	if [[ $prefix ]]; then
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=$prefix${COMPREPLY[i]}
		done
	fi
	return 0
}
complete -F _cattop cattop
