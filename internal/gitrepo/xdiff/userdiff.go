package xdiff

// BuiltinFuncname returns the funcname pattern of git's builtin diff driver
// name (userdiff.c, git 2.39): POSIX extended expressions, one per line, a
// leading "!" negating one; icase when the driver matches ignoring case.
func BuiltinFuncname(name string) (pattern string, icase, ok bool) {
	switch name {
	case "ada":
		return "!^(.*[ \t])?(is[ \t]+new|renames|is[ \t]+separate)([ \t].*)?$\n" +
			"!^[ \t]*with[ \t].*$\n" +
			"^[ \t]*((procedure|function)[ \t]+.*)$\n" +
			"^[ \t]*((package|protected|task)[ \t]+.*)$", true, true
	case "bash":
		return "^[ \t]*(([a-zA-Z_][a-zA-Z0-9_]*[ \t]*\\([ \t]*\\))|(function[ \t]+[a-zA-Z_][a-zA-Z0-9_]*(([ \t]*\\([ \t]*\\))|([ \t]+)))[ \t]*(\\{|\\(\\(?|\\[\\[))", false, true
	case "bibtex":
		return "(@[a-zA-Z]{1,}[ \t]*\\{{0,1}[ \t]*[^ \t\"@',\\#}{~%]*).*$", false, true
	case "cpp":
		return "!^[ \t]*[A-Za-z_][A-Za-z_0-9]*:[[:space:]]*($|/[/*])\n" +
			"^((::[[:space:]]*)?[A-Za-z_].*)$", false, true
	case "csharp":
		return "!^[ \t]*(do|while|for|if|else|instanceof|new|return|switch|case|throw|catch|using)\n" +
			"^[ \t]*(((static|public|internal|private|protected|new|virtual|sealed|override|unsafe|async)[ \t]+)*[][<>@.~_[:alnum:]]+[ \t]+[<>@._[:alnum:]]+[ \t]*\\(.*\\))[ \t]*$\n" +
			"^[ \t]*(((static|public|internal|private|protected|new|virtual|sealed|override|unsafe)[ \t]+)*[][<>@.~_[:alnum:]]+[ \t]+[@._[:alnum:]]+)[ \t]*$\n" +
			"^[ \t]*(((static|public|internal|private|protected|new|unsafe|sealed|abstract|partial)[ \t]+)*(class|enum|interface|struct|record)[ \t]+.*)$\n" +
			"^[ \t]*(namespace[ \t]+.*)$", false, true
	case "css":
		return "![:;][[:space:]]*$\n" +
			"^[:[@.#]?[_a-z0-9].*$", true, true
	case "dts":
		return "!;\n" +
			"!=\n" +
			"^[ \t]*((/[ \t]*\\{|&?[a-zA-Z_]).*)", false, true
	case "elixir":
		return "^[ \t]*((def(macro|module|impl|protocol|p)?|test)[ \t].*)$", false, true
	case "fortran":
		return "!^([C*]|[ \t]*!)\n" +
			"!^[ \t]*MODULE[ \t]+PROCEDURE[ \t]\n" +
			"^[ \t]*((END[ \t]+)?(PROGRAM|MODULE|BLOCK[ \t]+DATA|([^!'\" \t]+[ \t]+)*(SUBROUTINE|FUNCTION))[ \t]+[A-Z].*)$", true, true
	case "fountain":
		return "^((\\.[^.]|(int|ext|est|int\\.?/ext|i/e)[. ]).*)$", true, true
	case "golang":
		return "^[ \t]*(func[ \t]*.*(\\{[ \t]*)?)\n" +
			"^[ \t]*(type[ \t].*(struct|interface)[ \t]*(\\{[ \t]*)?)", false, true
	case "html":
		return "^[ \t]*(<[Hh][1-6]([ \t].*)?>.*)$", false, true
	case "java":
		return "!^[ \t]*(catch|do|for|if|instanceof|new|return|switch|throw|while)\n" +
			"^[ \t]*(([a-z]+[ \t]+)*(class|enum|interface)[ \t]+[A-Za-z][A-Za-z0-9_$]*[ \t]+.*)$\n" +
			"^[ \t]*(([A-Za-z_<>&][][?&<>.,A-Za-z_0-9]*[ \t]+)+[A-Za-z_][A-Za-z_0-9]*[ \t]*\\([^;]*)$", false, true
	case "kotlin":
		return "^[ \t]*(([a-z]+[ \t]+)*(fun|class|interface)[ \t]+.*)$", false, true
	case "markdown":
		return "^ {0,3}#{1,6}[ \t].*", false, true
	case "matlab":
		return "^[[:space:]]*((classdef|function)[[:space:]].*)$|^(%%%?|##)[[:space:]].*$", false, true
	case "objc":
		return "!^[ \t]*(do|for|if|else|return|switch|while)\n" +
			"^[ \t]*([-+][ \t]*\\([ \t]*[A-Za-z_][A-Za-z_0-9* \t]*\\)[ \t]*[A-Za-z_].*)$\n" +
			"^[ \t]*(([A-Za-z_][A-Za-z_0-9]*[ \t]+)+[A-Za-z_][A-Za-z_0-9]*[ \t]*\\([^;]*)$\n" +
			"^(@(implementation|interface|protocol)[ \t].*)$", false, true
	case "pascal":
		return "^(((class[ \t]+)?(procedure|function)|constructor|destructor|interface|implementation|initialization|finalization)[ \t]*.*)$\n" +
			"^(.*=[ \t]*(class|record).*)$", false, true
	case "perl":
		return "^package .*\n" +
			"^sub [[:alnum:]_':]+[ \t]*(\\([^)]*\\)[ \t]*)?(:[^;#]*)?(\\{[ \t]*)?(#.*)?$\n" +
			"^(BEGIN|END|INIT|CHECK|UNITCHECK|AUTOLOAD|DESTROY)[ \t]*(\\{[ \t]*)?(#.*)?$\n" +
			"^=head[0-9] .*", false, true
	case "php":
		return "^[\t ]*(((public|protected|private|static|abstract|final)[\t ]+)*function.*)$\n" +
			"^[\t ]*((((final|abstract)[\t ]+)?class|enum|interface|trait).*)$", false, true
	case "python":
		return "^[ \t]*((class|(async[ \t]+)?def)[ \t].*)$", false, true
	case "ruby":
		return "^[ \t]*((class|module|def)[ \t].*)$", false, true
	case "rust":
		return "^[\t ]*((pub(\\([^\\)]+\\))?[\t ]+)?((async|const|unsafe|extern([\t ]+\"[^\"]+\"))[\t ]+)?(struct|enum|union|mod|trait|fn|impl|macro_rules!)[< \t]+[^;]*)$", false, true
	case "scheme":
		return "^[\t ]*(\\(((define|def(struct|syntax|class|method|rules|record|proto|alias)?)[-*/ \t]|(library|module|struct|class)[*+ \t]).*)$", false, true
	case "tex":
		return "^(\\\\((sub)*section|chapter|part)\\*{0,1}\\{.*)$", false, true
	}
	return "", false, false
}
