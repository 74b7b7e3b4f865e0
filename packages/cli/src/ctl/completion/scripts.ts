/**
 * Completion scripts from the commander definitions: commands, their
 * options, and the fixed choices of options (`--role`, `--format`). Cluster
 * and member names are completed from `pgwardenctl list -f tsv` output of the
 * configured cluster, so completion follows the live cluster.
 */
import type { Command, Option } from 'commander';

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly options: readonly { readonly flags: readonly string[]; readonly description: string; readonly choices?: readonly string[]; readonly takesValue: boolean }[];
}

function visibleOptions(command: Command): Option[] {
  return (command.options as Option[]).filter((option) => !option.hidden);
}

function optionSpec(option: Option): CommandSpec['options'][number] {
  const flags = [option.short, option.long].filter((flag): flag is string => flag !== undefined);
  return {
    flags,
    description: option.description,
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: option.argChoices } : {}),
  };
}

export function describeCommands(program: Command): { globals: CommandSpec; commands: CommandSpec[] } {
  return {
    globals: { name: '', description: program.description(), options: visibleOptions(program).map(optionSpec) },
    commands: program.commands.map((command) => ({
      name: command.name(),
      description: command.description(),
      options: [...visibleOptions(command).map(optionSpec), { flags: ['--help'], description: 'Show help', takesValue: false }],
    })),
  };
}

function quote(text: string): string {
  return text.replace(/'/g, "'\\''");
}

export function bashCompletion(spec: { globals: CommandSpec; commands: CommandSpec[] }): string {
  const cases = spec.commands
    .map((command) => {
      const words = command.options.flatMap((option) => option.flags).join(' ');
      const choices = command.options
        .filter((option) => option.choices)
        .map((option) => `      ${option.flags.join('|')}) COMPREPLY=($(compgen -W '${option.choices!.join(' ')}' -- "$cur")); return ;;`)
        .join('\n');
      return `    ${command.name})\n      case "$prev" in\n${choices}${choices ? '\n' : ''}      esac\n      opts='${words}' ;;`;
    })
    .join('\n');
  const globalWords = spec.globals.options.flatMap((option) => option.flags).join(' ');
  return `# bash completion for pgwardenctl: source <(pgwardenctl completion bash)
_pgwardenctl() {
  local cur prev cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -c|--config-file|-d|--dcs-url) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [ -z "$cmd" ]; then
    case "$prev" in -c|--config-file) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
    COMPREPLY=($(compgen -W '${spec.commands.map((command) => command.name).join(' ')} ${globalWords}' -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
  case "$prev" in --apply|--replace|--output|-f|--file) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(pgwardenctl "\${COMP_WORDS[@]:1:i-1}" list -f tsv 2>/dev/null | awk -F'\\t' 'NR>1 {print $1; print $2}' | sort -u)" -- "$cur"))
  fi
}
complete -F _pgwardenctl pgwardenctl
`;
}

export function zshCompletion(spec: { globals: CommandSpec; commands: CommandSpec[] }): string {
  const optionLines = (options: CommandSpec['options']): string =>
    options
      .map((option) => {
        const description = quote(option.description.replace(/[[\]:]/g, ' '));
        const value = option.takesValue ? `:value:${option.choices ? `(${option.choices.join(' ')})` : '_files'}` : '';
        const body = `[${description}]${value}`;
        return option.flags.length > 1
          ? `      '(${option.flags.join(' ')})'{${option.flags.join(',')}}'${body}'`
          : `      '${option.flags[0]}${body}'`;
      })
      .join(' \\\n');
  const commandList = spec.commands.map((command) => `    '${command.name}:${quote(command.description.replace(/:/g, ' '))}'`).join('\n');
  const cases = spec.commands
    .map((command) => `    ${command.name})\n      _arguments -s \\\n${optionLines(command.options)} \\\n      '*:name:_pgwardenctl_names' ;;`)
    .join('\n');
  return `#compdef pgwardenctl
# zsh completion for pgwardenctl: pgwardenctl completion zsh > "\${fpath[1]}/_pgwardenctl"
_pgwardenctl_names() {
  local -a names
  names=(\${(f)"$(pgwardenctl list -f tsv 2>/dev/null | awk -F'\\t' 'NR>1 {print $1; print $2}' | sort -u)"})
  compadd -a names
}
_pgwardenctl() {
  local -a commands
  commands=(
${commandList}
  )
  _arguments -C \\
${optionLines(spec.globals.options)} \\
    '1:command:->command' \\
    '*::arg:->args'
  case $state in
    command) _describe 'command' commands ;;
    args)
      case $words[1] in
${cases}
      esac ;;
  esac
}
_pgwardenctl "$@"
`;
}
