

// Left:

func.