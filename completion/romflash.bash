# bash completion for romflash                             -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/romflash, where
# bash-completion loads it the first time romflash is completed; or source it
# by hand.  Self-contained: it uses none of bash-completion's helpers.
#
# It completes SPEC's command line: commands, the global options anywhere on
# the line, each command's options, --mode values (MiFlash's names quoted),
# --region/--type values, reboot targets, cancro's partition names, getvar
# names, packages (*.tgz and folders; *.zip for sideload and info) and the
# attached phones for -s (serials and usb: locations, from
# `romflash --json devices`, given 2 seconds at most: a completion never
# blocks the shell).  Keep the lists in step with flasher/cli/ (the install
# test checks that every long option of the sources appears here).

_romflash_commands=(devices info plan flash sideload fetch catalog getvar
	flash-image erase boot oem flashing set_active continue reboot help)
_romflash_globals=(-s --wait -v -q --json --verbose --quiet --help --version)
# cancro's partitions (SPEC "Facts about the phone") and the GPT image name
_romflash_partitions=(sbl1 rpm tz DDR ssd dbi aboot misc logo modemst1
	modemst2 fsg persist modem system cache userdata boot recovery partition)
_romflash_getvars=(all product max-download-size serialno version
	version-bootloader version-baseband board_version soc-id anti crc unlocked
	secure variant)

# _romflash_opts CMD: the options of a command, into opts[]
_romflash_opts() {
	case $1 in
	info) opts=(--md5 --region) ;;
	plan) opts=(--mode --md5 --region) ;;
	flash) opts=(--mode --yes --no-reboot --resume --confirm-phone --no-resume --md5
		--region --all --dry-run --skip --force-device --wait) ;;
	sideload) opts=(--md5 --region --yes --wait) ;;
	oem | flashing) opts=(--yes) ;;
	fetch) opts=(-o --output --region --type --md5 --cacert --stall-timeout --retries) ;;
	*) opts=() ;;
	esac
}

# Options that take a value (the next word, or after "=")
_romflash_takes_value() {
	case $1 in
	-s | --wait | --mode | --md5 | --region | --type | -o | --output | --cacert | --skip | \
		--force-device | --stall-timeout | --retries) return 0 ;;
	esac
	return 1
}

# _romflash_words: words[] and cword as the user sees them.  bash splits
# "usb:1-2" and "--mode=clean" at ':' and '=' (COMP_WORDBREAKS); glue the
# pieces that touch in the line back together, and cut the current word at
# the cursor.
_romflash_words() {
	local line=${COMP_LINE:0:COMP_POINT} gap w i
	words=() cword=-1
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		gap=${line%%[![:space:]]*}
		line=${line:${#gap}}
		if ((i == COMP_CWORD)); then
			w=$line
		elif [[ $line != "$w"* ]]; then
			# not the line bash split: use its words as they are
			words=("${COMP_WORDS[@]:0:COMP_CWORD+1}") cword=$COMP_CWORD
			return
		fi
		if ((i > 0)) && [[ -z $gap ]] &&
			[[ $w == [:=]* || ${words[cword]} == *[:=] ]]; then
			words[cword]+=$w
		else
			words[++cword]=$w
		fi
		line=${line:${#w}}
	done
}

# _romflash_reply WORD...: the words that start with $cur, as COMPREPLY.
# Readline replaces only the text after the last ':' or '=' of the current
# word, so that much is cut from each; words are quoted for the shell
# unless the user opened a quote (readline then closes it).
_romflash_reply() {
	local w pre='' m=${cur//\\/} # "save\ us" matches "save user data"
	[[ $m == *[:=]* ]] && pre=${m%"${m##*[:=]}"}
	for w in "$@"; do
		[[ $w == "$m"* ]] || continue
		w=${w#"$pre"}
		if [[ -n $quote ]]; then
			COMPREPLY+=("$w")
		else
			COMPREPLY+=("$(printf '%q' "$w")")
		fi
	done
}

# _romflash_add COMPGEN-ARGS...: compgen's words (file names), added to
# COMPREPLY; readline quotes them (-o filenames)
_romflash_add() {
	compopt -o filenames 2>/dev/null
	mapfile -t -O ${#COMPREPLY[@]} COMPREPLY < <(compgen "$@" -- "$cur")
}

# _romflash_files PATTERN...: folders and the files matching a pattern
_romflash_files() {
	local p
	_romflash_add -d
	for p in "$@"; do
		_romflash_add -f -X "!$p"
	done
}

# _romflash_phones ROMFLASH: serials and usb: locations of attached phones,
# one a line.  `timeout` bounds the wait; without it, no phones are offered
# rather than risking a hang.
_romflash_phones() {
	local line f v
	command -v timeout >/dev/null 2>&1 || return 0
	while IFS= read -r line; do
		for f in serial location; do
			[[ $line == *"\"$f\":\""* ]] || continue
			v=${line#*\""$f"\":\"}
			v=${v%%\"*}
			[[ -n $v ]] && printf '%s\n' "$v"
		done
	done < <(timeout -k 1 2 "$1" --json devices </dev/null 2>/dev/null)
}

# _romflash_value OPTION: complete the value of an option
_romflash_value() {
	local phones
	case $1 in
	-s)
		mapfile -t phones < <(_romflash_phones "$rf")
		_romflash_reply "${phones[@]}" "tcp:"
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] &&
			compopt -o nospace 2>/dev/null
		;;
	--mode) _romflash_reply "keep-data" "clean" "lock" "save user data" \
		"clean all" "clean all and lock" ;;
	--region) _romflash_reply global cn ;;
	--type) _romflash_reply fastboot recovery ;;
	-o) _romflash_add -d ;;
	--cacert) _romflash_files '*.pem' '*.crt' ;;
	esac
}

# _romflash_arg CMD N: complete the command's N-th argument (from 0)
_romflash_arg() {
	case $1:$2 in
	info:0) _romflash_files '*.tgz' '*.zip' ;;
	plan:0 | flash:0) _romflash_files '*.tgz' ;;
	sideload:0) _romflash_files '*.zip' ;;
	catalog:0) _romflash_reply cancro ;;
	getvar:0)
		local p v=("${_romflash_getvars[@]}")
		for p in "${_romflash_partitions[@]}"; do
			v+=("partition-size:$p" "partition-type:$p")
		done
		_romflash_reply "${v[@]}"
		;;
	flash-image:0 | erase:0) _romflash_reply "${_romflash_partitions[@]}" ;;
	flash-image:1 | boot:0) _romflash_add -f ;;
	oem:0) _romflash_reply device-info lock unlock ;;
	flashing:0) _romflash_reply lock unlock lock_critical unlock_critical get_unlock_ability ;;
	set_active:0) _romflash_reply a b ;;
	reboot:0) _romflash_reply bootloader recovery sideload ;;
	help:0) _romflash_reply "${_romflash_commands[@]}" ;;
	esac
}

_romflash() {
	local words cword cur quote='' rf=${1/#\~/$HOME} cmd='' nargs=0 i w opt
	local opts
	COMPREPLY=()
	_romflash_words
	cur=${words[cword]}
	# an opened quote: match without it (readline keeps it and closes it)
	if [[ $cur == [\"\']* ]]; then
		quote=${cur:0:1}
		cur=${cur:1}
	fi
	# the command and how many of its arguments come before the cursor;
	# global options may stand anywhere
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $w == --* && $w != *=* ]] || [[ $w == -? ]]; then
			_romflash_takes_value "$w" && ((i++))
		elif [[ $w == -* ]]; then
			: # -sSERIAL, --opt=value, -vq...
		elif [[ -z $cmd ]]; then
			cmd=$w
		else
			((nargs++))
		fi
	done
	# the value of an option: "-s <TAB>", "--mode=<TAB>"
	if ((cword > 1)) && _romflash_takes_value "${words[cword - 1]}"; then
		_romflash_value "${words[cword - 1]}"
		return 0
	fi
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*}
		_romflash_takes_value "$opt" || return 0
		cur=${cur#*=}
		_romflash_value "$opt"
		return 0
	fi
	if [[ $cur == -* ]]; then
		_romflash_opts "$cmd"
		_romflash_reply "${_romflash_globals[@]}" "${opts[@]}"
		return 0
	fi
	if [[ -z $cmd ]]; then
		_romflash_reply "${_romflash_commands[@]}"
	else
		_romflash_arg "$cmd" "$nargs"
	fi
	return 0
}

complete -F _romflash romflash
